"""The alert vocabulary: every kind of alert, its label, its notification headline and its audience.

One enum, read by tracking (which raises alerts), notify (titles), the feeds (labels, and which
kinds the public may see), the CLI (`alerts --kind`) and the docs. Public kinds are an allow-list:
a new operator kind can never leak into the public `changes.atom`.
"""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    PUBLIC = "public"  # the dataset's readers: changes feed, Datasette
    OPERATOR = "operator"  # whoever runs necwatch: source feeds, notifications, `status`


class AlertKind(StrEnum):
    """Each kind is stored as its value in `alerts.kind`."""

    label: str  # in feeds and Datasette
    headline: str  # the title of a notification (`title` would shadow str.title)
    audience: Audience

    def __new__(cls, value: str, label: str, headline: str, audience: Audience) -> AlertKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.headline = headline
        member.audience = audience
        return member

    NEW_REPORT = ("new_report", "New report", "New NEC report", Audience.PUBLIC)
    REPORT_EDITED = ("report_edited", "Report edited", "NEC report edited", Audience.PUBLIC)
    REPORT_REMOVED = ("report_removed", "Report removed", "NEC report removed", Audience.PUBLIC)
    REPORT_RESTORED = ("report_restored", "Report restored", "NEC report restored", Audience.PUBLIC)
    REPORT_REPUBLISHED = (
        "report_republished",
        "Report republished",
        "NEC report republished",
        Audience.PUBLIC,
    )
    NEW_COMMENT = ("new_comment", "New comment", "New comment", Audience.PUBLIC)
    COMMENT_EDITED = ("comment_edited", "Comment edited", "Comment edited", Audience.PUBLIC)
    COMMENT_REMOVED = ("comment_removed", "Comment removed", "Comment removed", Audience.PUBLIC)
    SOURCE_UNHEALTHY = (
        "source_unhealthy",
        "Source unhealthy",
        "necwatch source unhealthy",
        Audience.OPERATOR,
    )
    SOURCE_RECOVERED = (
        "source_recovered",
        "Source recovered",
        "necwatch source recovered",
        Audience.OPERATOR,
    )
    SOURCE_MOVED = ("source_moved", "Source moved", "necwatch source moved", Audience.OPERATOR)

    @classmethod
    def public(cls) -> tuple[AlertKind, ...]:
        """The kinds the public changes feed may show (an allow-list)."""
        return tuple(k for k in cls if k.audience is Audience.PUBLIC)

    @classmethod
    def operator(cls) -> tuple[AlertKind, ...]:
        return tuple(k for k in cls if k.audience is Audience.OPERATOR)

    @classmethod
    def values(cls) -> list[str]:
        """Every kind as stored, in declaration order (the CLI's `--kind` choices, the docs' list)."""
        return [k.value for k in cls]

    @classmethod
    def known(cls, value: str) -> AlertKind | None:
        """The kind stored as `value`, or None for one this version does not know (a newer writer's)."""
        member = cls._value2member_map_.get(value)
        return member if isinstance(member, AlertKind) else None

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a stored kind (the raw value for a kind this version does not know)."""
        kind = cls.known(value)
        return kind.label if kind else value

    @classmethod
    def headline_of(cls, value: str) -> str:
        """The notification headline of a stored kind (the raw value for a kind unknown here)."""
        kind = cls.known(value)
        return kind.headline if kind else value
