"""The alert vocabulary: every kind of alert, its label, its notification title and its audience.

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

    label: str
    # Shadows str.title on purpose: a kind's notification title reads better than a second name.
    title: str  # type: ignore[assignment]
    audience: Audience

    def __new__(cls, value: str, label: str, title: str, audience: Audience) -> AlertKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.title = title
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
    def title_of(cls, value: str) -> str:
        """The notification title of a stored kind (the raw value for a kind this version does not know)."""
        kind = cls.known(value)
        return kind.title if kind else value
