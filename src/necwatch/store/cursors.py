"""Incremental polling state: each source's cursor, and what an adapter must know of stored posts
to poll only what changed (platform ids, NEC reports, posts awaiting a removal confirmation)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from necwatch.store.base import StoreBase


@dataclass(frozen=True)
class KnownState:
    """What a source's stored posts tell an incremental poll (read before the poll, never written)."""

    by_platform_id: dict[str, str] = field(default_factory=dict)  # live posts: platform id → url
    report_ids: frozenset[str] = frozenset()  # platform ids of live NEC reports (comments wanted)
    suspects: frozenset[str] = frozenset()  # urls answering 404 once: re-checked until confirmed
    live: int = 0  # live posts stored
    removed: frozenset[str] = frozenset()  # urls of posts marked removed


class CursorStore(StoreBase):
    """Reads and writes `source_cursors`; a cursor row is written only when its value changed."""

    def cursor(self, source: str) -> dict[str, Any]:
        row = self.db.execute("select cursor from source_cursors where source = ?", [source]).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def save_cursor(self, source: str, cursor: dict[str, Any], ts: str) -> bool:
        """Store `cursor` unless it equals the stored one (an unchanged poll writes no row)."""
        text = json.dumps(cursor, sort_keys=True, separators=(",", ":"))
        row = self.db.execute("select cursor from source_cursors where source = ?", [source]).fetchone()
        if row is not None and row[0] == text:
            return False
        self.db.execute(
            "insert into source_cursors (source, cursor, updated_at) values (?, ?, ?) "
            "on conflict(source) do update set cursor = excluded.cursor, updated_at = excluded.updated_at",
            [source, text, ts],
        )
        return True

    def known_state(self, source: str) -> KnownState:
        by_id: dict[str, str] = {}
        reports: set[str] = set()
        suspects: set[str] = set()
        removed: set[str] = set()
        live = 0
        rows = self.db.execute(
            "select url, platform_id, is_nec_report, missing_polls, removed_at from posts where source = ?",
            [source],
        )
        for url, platform_id, is_report, missing, removed_at in rows:
            if removed_at is not None:
                removed.add(url)
                continue
            live += 1
            if missing:
                suspects.add(url)
            if platform_id:
                by_id[str(platform_id)] = url
                if is_report:
                    reports.add(str(platform_id))
        return KnownState(by_id, frozenset(reports), frozenset(suspects), live, frozenset(removed))
