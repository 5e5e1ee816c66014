"""Years of history without slowing down (issue 18): the export's layout stays a repository people
can clone (bounded files per folder and file sizes, a day's change touching few files, an unchanged
report's file never rewritten), the round trip stays exact, an export in the old one-file-per-report
layout still imports, and the per-poll queries that scanned a whole table use an index."""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from necwatch.demo import run_demo
from necwatch.store import Store
from necwatch.store.checksum import digest
from necwatch.store.export import export_dataset, import_dataset


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database (13 reports, comments, alerts, raw bodies), made once for the module."""
    tmp = tmp_path_factory.mktemp("demo")
    db = tmp / "demo.db"
    _result, store = run_demo(db, tmp / "feeds")
    store.close()
    return db


def _copy(db: Path, to: Path) -> Path:
    src = sqlite3.connect(db)
    dst = sqlite3.connect(to)
    src.backup(dst)
    src.close()
    dst.close()
    return to


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.ndjson"))}


def _entries_per_folder(out: Path) -> dict[str, int]:
    return {str(Path(d).relative_to(out)): len(dirs) + len(files) for d, dirs, files in os.walk(out)}


def test_reports_are_filed_by_month_with_everything_of_theirs(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    export_dataset(demo_db, out)
    conn = sqlite3.connect(demo_db)
    months = {
        rid: (when or "")[:7]
        for rid, when in conn.execute("select id, coalesce(published_at, first_seen_at) from reports")
    }
    report_files = sorted(out.glob("reports/**/*.ndjson"))
    assert report_files and len(report_files) < len(months)  # fewer files than reports
    seen = set()
    for path in report_files:
        rel = path.relative_to(out / "reports")
        assert len(rel.parts) == 2 and rel.parts[0].isdigit() and len(rel.parts[0]) == 4, rel
        month = f"{rel.parts[0]}-{rel.stem}"
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if rec["t"] == "reports":
                assert months[rec["r"]["id"]] == month  # the report's own month
                seen.add(rec["r"]["id"])
            elif rec["t"] in ("posts", "report_versions", "report_minhash", "comments"):
                assert months[rec["r"]["report_id"]] == month
    assert seen == set(months)
    assert not (out / "tables" / "report_minhash.ndjson").exists()  # the bands are with their report


def test_round_trip_is_exact_with_small_chunks_and_no_file_passes_the_limit(
    demo_db: Path, tmp_path: Path
) -> None:
    """Forced to split (a 20 kB limit): every folder stays small, no file passes the limit unless
    it holds one row or one report's rows alone, and import gives back the same logical checksum."""
    out = tmp_path / "ds"
    limit = 20_000
    export_dataset(demo_db, out, chunk_bytes=limit)
    split = [p for p in out.rglob("*.ndjson") if len(p.relative_to(out).parts) > 3]
    assert split, "the limit forced some month or shard into parts"
    for path in out.rglob("*.ndjson"):
        if path.stat().st_size > limit and len(path.read_bytes().splitlines()) > 1:
            reports = {
                json.loads(line)["r"].get("report_id") or json.loads(line)["r"].get("id")
                for line in path.read_text(encoding="utf-8").splitlines()
                if json.loads(line)["t"] in ("reports", "report_versions", "posts")
            }
            assert len(reports) == 1, path  # one report's own rows, which no split can part
    folders = _entries_per_folder(out)
    assert max(n for name, n in folders.items() if name not in (".", "raw")) <= 32
    back = tmp_path / "back.db"
    import_dataset(out, back)
    assert digest(back) == digest(demo_db)


def test_an_unchanged_reports_file_is_not_rewritten_and_a_new_report_goes_to_its_month(
    demo_db: Path, tmp_path: Path
) -> None:
    db = _copy(demo_db, tmp_path / "day.db")
    out = tmp_path / "ds"
    export_dataset(db, out)
    before = _files(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.ndjson")}
    # a day's news: one old report edited, one new report published today
    conn = sqlite3.connect(db)
    old_id, old_when = conn.execute(
        "select id, published_at from reports where published_at is not null order by published_at limit 1"
    ).fetchone()
    conn.execute("update reports set title = title || ' (updated)' where id = ?", [old_id])
    row = dict(
        zip(
            [d[0] for d in conn.execute("select * from reports limit 1").description],
            conn.execute("select * from reports where id = ?", [old_id]).fetchone(),
            strict=True,
        )
    )
    row.update(id="feedbeef00000001", published_at="2031-03-04T10:00:00+00:00", content_hash="v1:new")
    conn.execute(
        f"insert into reports ({', '.join(row)}) values ({', '.join('?' * len(row))})", list(row.values())
    )
    conn.commit()
    conn.close()
    export_dataset(db, out)
    after = _files(out)
    touched = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    assert touched == {f"reports/{old_when[:4]}/{old_when[5:7]}.ndjson", "reports/2031/03.ndjson"}
    for path, mtime in mtimes.items():  # every other file is left as it was, not rewritten
        if str(path.relative_to(out)) not in touched:
            assert path.stat().st_mtime_ns == mtime, path
    # a poll saw a post again (its last_seen_at refreshed, nothing else): only its month's seen file
    conn = sqlite3.connect(db)
    post, when = conn.execute(
        "select p.id, coalesce(r.published_at, r.first_seen_at) from posts p join reports r "
        "on r.id = p.report_id where r.id = ?",
        [old_id],
    ).fetchone()
    conn.execute("update posts set last_seen_at = '2031-03-05T00:00:00+00:00' where id = ?", [post])
    conn.commit()
    conn.close()
    export_dataset(db, out)
    again = _files(out)
    assert {n for n in set(after) | set(again) if after.get(n) != again.get(n)} == {
        f"seen/{when[:4]}/{when[5:7]}.ndjson"
    }
    back = tmp_path / "back.db"
    import_dataset(out, back)
    assert digest(back) == digest(db)


def _old_layout(export: Path, out: Path) -> None:
    """The layout before issue 18, from an export's lines: one file per report with its versions,
    posts, comments, comment versions and alerts (reports/<id[:2]>/<id>.ndjson), every other
    table in tables/<table>.ndjson (min-hash bands included), raw bodies in raw/<hash[:2]>.ndjson."""
    records = [
        json.loads(line) for p in export.rglob("*.ndjson") for line in p.read_text("utf-8").splitlines()
    ]
    seen = {r["r"]["id"]: r["r"]["last_seen_at"] for r in records if r["t"] == "posts.last_seen_at"}
    records = [r for r in records if r["t"] != "posts.last_seen_at"]
    for rec in records:  # the old layout kept a post's last_seen_at in its row
        if rec["t"] == "posts" and rec["r"]["id"] in seen:
            rec["r"]["last_seen_at"] = seen[rec["r"]["id"]]
    comment_report = {r["r"]["id"]: r["r"]["report_id"] for r in records if r["t"] == "comments"}
    files: dict[str, list[str]] = defaultdict(list)
    for rec in records:
        table, row = rec["t"], rec["r"]
        report = {
            "reports": row.get("id"),
            "report_versions": row.get("report_id"),
            "posts": row.get("report_id"),
            "comments": row.get("report_id"),
            "alerts": row.get("report_id"),
            "comment_versions": comment_report.get(row.get("comment_id")),
        }.get(table)
        if report:
            name = f"reports/{report[:2]}/{report}.ndjson"
        elif table == "raw_bodies":
            name = f"raw/{row['hash'][:2]}.ndjson"
        else:
            name = f"tables/{table}.ndjson"
        files[name].append(json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
    for name, lines in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("\n".join(sorted(lines)) + "\n", encoding="utf-8")


def test_an_export_in_the_old_layout_imports_and_is_rewritten_in_the_new(
    demo_db: Path, tmp_path: Path
) -> None:
    """The Action's data branch holds exports in the old layout: import reads them the same, and
    the next export replaces them with the new layout (no old file, no empty folder left)."""
    new = tmp_path / "new"
    export_dataset(demo_db, new)
    old = tmp_path / "old"
    _old_layout(new, old)
    per_report = list(old.glob("reports/*/*.ndjson"))
    assert len(per_report) == sqlite3.connect(demo_db).execute("select count(*) from reports").fetchone()[0]
    back = tmp_path / "back.db"
    rows = import_dataset(old, back)
    assert rows > 0 and digest(back) == digest(demo_db)
    export_dataset(back, old)  # exported over the old layout: it becomes the new one
    assert _files(old) == _files(new)
    assert all(any(Path(d).iterdir()) for d, _, _ in os.walk(old))  # no empty folder left behind


def test_a_loose_alert_and_fetch_errors_are_filed_by_month(demo_db: Path, tmp_path: Path) -> None:
    """Logs that only grow go to their month's file, so a day's rows touch the current month only."""
    db = _copy(demo_db, tmp_path / "logs.db")
    store = Store.open(db)
    store.db.execute(
        "insert into fetch_errors (run_id, ts, source, url, kind, message) values "
        "('r1', '2030-02-03T04:05:06+00:00', 'demo', 'https://example.org/x', 'http_5xx', 'HTTP 503')"
    )
    store.db.execute(
        "insert into alerts (id, kind, created_at, source, backfill) "
        "values ('a-loose', 'source_unhealthy', '2030-02-03T04:05:06+00:00', 'demo', 0)"
    )
    store.db.conn.commit()
    store.close()
    out = tmp_path / "ds"
    export_dataset(db, out)
    assert '"a-loose"' in (out / "tables/alerts/2030/02.ndjson").read_text(encoding="utf-8")
    assert "HTTP 503" in (out / "tables/fetch_errors/2030/02.ndjson").read_text(encoding="utf-8")
    back = tmp_path / "back.db"
    import_dataset(out, back)
    assert digest(back) == digest(db)


def test_a_candidate_sharing_a_few_paragraphs_is_ruled_out_by_its_sample() -> None:
    """The candidates a min-hash band brings grow with the archive (unrelated reports sharing a few
    paragraphs: 0.1-0.2 in the emulated archive). Over a report-sized sample they are ruled out
    without a full intersection (the cut tightens with the sampled union, SAMPLE_Z deviations
    under the threshold); a pair at or above the threshold never is."""
    from necwatch import dedupe
    from tests.test_nearcache import _pairs

    ruled_out = []
    for a, b in _pairs():
        probe, other = dedupe.shingles(a), dedupe.shingles(b)
        score = probe.jaccard(other)
        unlikely = dedupe.PackedShingles.of(other).unlikely(probe, dedupe.THRESHOLD)
        if score >= dedupe.THRESHOLD:
            assert not unlikely, score
        elif 0.12 <= score < 0.16 and len(probe.sample | other.sample) >= 250:
            ruled_out.append(unlikely)
    assert ruled_out and all(ruled_out)  # the fixed cut (THRESHOLD / 2) compared these in full


def test_near_duplicate_candidates_are_read_through_their_bands_not_every_report() -> None:
    """A lookup reads the reports sharing a band with the text (report_minhash's primary key, then
    each candidate by id), never every NEC report: that scan made a poll's cost grow with the
    archive. The candidates come back in publication order, as before (ties go to the first)."""
    store = Store.memory()
    db = store.db
    for i, when in enumerate(["2024-03-01", "2023-01-01", "2025-05-05"]):
        db["reports"].insert(
            {"id": f"r{i}", "is_nec_report": 1, "published_at": when, "content_hash": f"v1:{i}"}
        )
        store.index_report(f"r{i}", [7, 100 + i], replace=False)
    db["reports"].insert({"id": "dup", "is_nec_report": 1, "duplicate_of": "r0", "content_hash": "v1:d"})
    store.index_report("dup", [7], replace=False)
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    found = store.near_candidates([7, 8])
    db.conn.set_trace_callback(None)
    assert found == [("r1", "v1:1"), ("r0", "v1:0"), ("r2", "v1:2")]
    (sql,) = [s for s in statements if "report_minhash" in s]
    plan = " | ".join(row[-1] for row in db.execute(f"explain query plan {sql}").fetchall())
    assert "SEARCH report_minhash USING PRIMARY KEY" in plan, plan
    assert "SCAN r" not in plan and "idx_reports_is_nec_report" not in plan, plan


def test_the_sample_bitmaps_give_the_samples_verdict() -> None:
    """The bitmaps (one AND and a popcount a candidate) decide first; their bound (common bits plus
    the hashes a sample lost to collisions within itself) is never below the samples' common count,
    so the verdict is always the samples' own (a packing without a bitmap counts the samples
    alone)."""
    from necwatch import dedupe
    from tests.test_nearcache import _pairs

    by_bitmap = 0
    for a, b in _pairs():
        probe, other = dedupe.shingles(a), dedupe.shingles(b)
        packed = dedupe.PackedShingles.of(other)
        plain = dedupe.PackedShingles(packed.hashes, packed.sample)  # no bitmap: the samples count
        assert packed.unlikely(probe, dedupe.THRESHOLD) == plain.unlikely(probe, dedupe.THRESHOLD)
        bound = (packed.sample_bits & probe.sample_bits).bit_count() + min(
            packed.sample_lost, probe.sample_lost
        )
        assert bound >= len(probe.sample & other.sample)
        by_bitmap += dedupe._ruled_out(bound, len(probe.sample) + len(other.sample), dedupe.THRESHOLD)
    assert by_bitmap >= 10  # most unrelated pairs are settled by the bitmaps alone
