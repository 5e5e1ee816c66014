"""Where a decider's intents collect: one list per source per run, and the alert rule for re-extraction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from necwatch.alerts import AlertKind
from necwatch.intents import Alert, Intent


@dataclass
class Emitter:
    """The intents of one source's poll, in the order the store must apply them."""

    source: str
    run_id: str
    now: datetime
    backfill: bool = False  # the source's first successful poll: alerts are recorded, not pushed
    technical: bool = False  # re-extraction: no alerts at all
    intents: list[Intent] = field(default_factory=list)
    alerts: int = 0

    @property
    def ts(self) -> str:
        return self.now.isoformat(timespec="seconds")

    def add(self, intent: Intent) -> None:
        self.intents.append(intent)

    def alert(self, kind: AlertKind, event: str, **fields: str | None) -> None:
        """Raise one alert (none while re-extracting)."""
        if self.technical:
            return
        self.alerts += 1
        self.intents.append(
            Alert.new(
                kind,
                event,
                source=self.source,
                run_id=self.run_id,
                created_at=self.ts,
                backfill=self.backfill,
                **fields,
            )
        )
