"""A logical checksum of a necwatch database: did the data really change?

The GitHub Action commits the database only when this hash changes. Bytes are no use for that: a
run that found nothing new still rewrites pages (run rows, fetch times, `last_polled_at`). So the
hash covers the rows, in primary-key order, minus the bookkeeping that every run touches:

* the `runs` table (one row per run, whatever it found);
* per-run timestamps and timings in `sources` and `fetches`;
* the HTTP status of a fetch (a 304 and a 200 with the same body mean the same thing);
* SQLite's own and the full-text index's derived tables;
* the reports' records (`records`, `items`, `decisions`, `mentions`, `statements`, `people`,
  `memberships`), derived from the reports' texts and derived again on import (not exported).

What stays in: every report, post, version, comment, alert, raw body, fetch validator (ETag,
Last-Modified, body hash) and source health (failures, health, deferral), so a failure streak or a
Retry-After deferral is committed and the next run sees it.

    python -m necwatch.datahash data/necwatch.db      # prints the hex digest
"""

from __future__ import annotations

import sys
from pathlib import Path

from necwatch.store.checksum import HASH_VERSION, SKIP_TABLES, VOLATILE_COLUMNS, digest, table_digest

__all__ = ["HASH_VERSION", "SKIP_TABLES", "VOLATILE_COLUMNS", "digest", "main", "table_digest"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m necwatch.datahash DATABASE\n")
        return 2
    if not Path(args[0]).exists():
        sys.stderr.write(f"no database at {args[0]}\n")
        return 2
    sys.stdout.write(digest(args[0]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
