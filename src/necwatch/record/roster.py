"""The dated roster of people the record resolves names against (Popolo-shaped, shipped as data)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Roster:
    """STUB (part "people"): persons with other_names, memberships with dates; operator extensions."""

    persons: tuple[dict, ...] = ()
    memberships: tuple[dict, ...] = ()

    @classmethod
    def shipped(cls) -> Roster:
        return cls()


def roster_for(people: list[dict] | None = None) -> Roster:
    """STUB (part "people"): the shipped roster extended/corrected by config.yaml's `people:`."""
    return Roster.shipped()
