"""`archive: true`: a live post's captures older than its first stored version become its earlier
versions, so edits made before necwatch watched are visible; the stored versions are renumbered after
them with everything that names a version number."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.demo import demo_config
from necwatch.job import run_job
from necwatch.models import Post
from necwatch.store import Store
from necwatch.store.checksum import digest
from necwatch.webarchive.cdx import CdxRow
from necwatch.webarchive.emulator import Capture, EmulatedArchive, _earlier, _ts, reference_captures
from necwatch.webarchive.history import earlier_history
from tests.conftest import one_host_web

HOST = "aliceperry.wordpress.com"


def _one(store: Store, sql: str, *args: Any) -> dict[str, Any]:
    return dict(next(store.db.query(sql, list(args))))


def test_captures_older_than_the_first_live_version_become_its_earlier_versions(tmp_path: Path) -> None:
    with one_host_web(HOST) as web:
        captures, sc = reference_captures(web.base(HOST))
        # the edited post: a third, still earlier text, a day before the two captures it already has
        full = next(c for c in captures if c.original == sc.edited and c.timestamp == _ts("2019/01/30", 32))
        captures.append(Capture(_ts("2019/01/30", 1), sc.edited, body=_earlier(_earlier(full.body))))
        with EmulatedArchive(captures) as a:
            config = demo_config(web, database=tmp_path / "n.db", hosts=[HOST])
            live = config.sources[0].model_copy(
                update={"archive": True, "archive_url": a.base, "archive_delay": 0}
            )
            config = config.model_copy(update={"sources": [live]})
            run_job(config)  # the live poll stores the posts after the recovery ran: history next run
            store = Store.open(config.database_path)
            post = _one(store, "select * from posts where url = ?", sc.edited)
            rid = post["report_id"]
            before = _one(store, "select * from reports where id = ?", rid)
            (live_first,) = store.version_origins(rid)
            alerts_before = {r["id"] for r in store.db.query("select id from alerts")}
            run_job(config)

            origins = store.version_origins(rid)
            assert [(o["version"], o["origin"], o["kind"]) for o in origins] == [
                (1, "archive", "initial"),
                (2, "archive", "edit"),
                (3, "live", "edit"),
            ]
            assert [o["captured_at"] for o in origins[:2]] == [
                "2019-01-31T12:00:00+00:00",
                "2019-02-01T12:00:00+00:00",
            ]
            assert origins[0]["archive_url"] == f"{a.base}web/20190131120000/{sc.edited}"
            assert origins[2]["seen_at"] == live_first["seen_at"]  # the live version, as it was
            report = _one(store, "select * from reports where id = ?", rid)
            # the report's current text is the live one, unchanged; its number moved with it
            assert (report["body_text"], report["content_hash"], report["title"]) == (
                before["body_text"],
                before["content_hash"],
                before["title"],
            )
            assert report["version"] == 3
            assert report["first_seen_at"] == "2019-01-31T12:00:00+00:00"
            assert _one(store, "select * from posts where id = ?", post["id"])["first_seen_at"] == (
                "2019-01-31T12:00:00+00:00"
            )
            versions = list(
                store.db.query(
                    "select * from report_versions_full where report_id = ? order by version", [rid]
                )
            )
            # every earlier version keeps its own text; the live one is now an edit with its diff
            assert (
                len(versions[0]["body_text"]) < len(versions[1]["body_text"]) < len(versions[2]["body_text"])
            )
            assert versions[2]["diff"] and versions[2]["word_diff"] and versions[0]["diff"] is None
            assert versions[2]["body_text"] == before["body_text"]
            # the record (derived from the current version) names its new number
            assert _one(store, "select version from records where report_id = ?", rid)["version"] == 3
            # the edit between the two captures: a backfill alert at its capture's time, never news
            new = [dict(r) for r in store.db.query("select * from alerts") if r["id"] not in alerts_before]
            assert [(x["kind"], x["created_at"], x["backfill"]) for x in new if x["report_id"] == rid] == [
                ("report_edited", "2019-02-01T12:00:00+00:00", 1)
            ]
            assert all(x["backfill"] == 1 for x in new)
            assert new[0]["summary"].startswith("Version 2:")

            # a post whose captures all hold its live text: no new version, but seen since its capture
            other = next(u for u in sc.posts if "labour-nec-report-march-2019" in u)
            op = _one(store, "select * from posts where url = ?", other)
            (only,) = store.version_origins(op["report_id"])
            assert only["origin"] == "live" and only["version"] == 1
            assert _one(store, "select first_seen_at from reports where id = ?", op["report_id"]) == {
                "first_seen_at": "2019-03-29T12:00:00+00:00"
            }

            # read once: the next run asks the archive for no capture
            raw = a.count("raw")
            run_job(config)
            assert a.count("raw") == raw and len(store.version_origins(rid)) == 3

            # the export and import round trip keeps every row (the checksum)
            runner = CliRunner()
            store.close()
            out = runner.invoke(cli, ["export", "--db", str(config.database_path), str(tmp_path / "ds")])
            assert out.exit_code == 0, out.output
            out = runner.invoke(cli, ["import", "--db", str(tmp_path / "back.db"), str(tmp_path / "ds")])
            assert out.exit_code == 0, out.output
            assert digest(tmp_path / "back.db") == digest(config.database_path)


def _report(store: Store) -> None:
    """A report with two live versions, an edit alert naming version 2, its record, one provenance row."""
    with store.transaction():
        store.db.table("reports").insert(
            {"id": "r1", "title": "NEC report", "body_text": "Text two.", "version": 2, "is_nec_report": 1,
             "content_hash": "h2", "first_seen_at": "2025-01-01T00:00:00+00:00"}, pk="id",
        )  # fmt: skip
        store.db.table("posts").insert(
            {"id": "p1", "report_id": "r1", "url": "https://x.example/p/",
             "first_seen_at": "2025-01-01T00:00:00+00:00"}, pk="id",
        )  # fmt: skip
        for v, text in ((1, "Text one."), (2, None)):
            store.db.table("report_versions").insert(
                {"report_id": "r1", "version": v, "seen_at": f"2025-0{v}-01T00:00:00+00:00",
                 "kind": "initial" if v == 1 else "edit", "title": "NEC report", "body_text": text,
                 "content_hash": f"h{v}"}
            )  # fmt: skip
        store.db.table("alerts").insert(
            {"id": "a2", "kind": "report_edited", "report_id": "r1", "summary": "Version 2: 1 word changed"},
            pk="id",
        )
        store.db.table("records").insert(
            {"report_id": "r1", "version": 2, "content_hash": "h2"}, pk="report_id"
        )
        store.db.table("items").insert({"report_id": "r1", "position": 0, "version": 2, "title": "Item"})
        store.add_provenance([{"report_id": "r1", "version": 2, "origin": "archive", "digest": "D"}])


def test_prepending_renumbers_everything_that_names_a_version(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "n.db")
    _report(store)
    earlier = [
        {"report_id": "r1", "version": n, "seen_at": f"2019-0{n}-01T00:00:00+00:00", "kind": kind,
         "title": "NEC report", "body_text": f"Old {n}.", "content_hash": f"o{n}"}
        for n, kind in ((1, "initial"), (2, "edit"))
    ]  # fmt: skip
    provenance = [{"report_id": "r1", "version": n, "origin": "archive", "digest": f"E{n}"} for n in (1, 2)]
    with store.transaction():
        store.prepend_versions(
            "r1", "p1", earlier, provenance, {"kind": "edit", "diff": "-Old 2.\n+Text one."},
            "2019-01-01T00:00:00+00:00",
        )  # fmt: skip
    rows = list(store.db.query("select * from report_versions_full where report_id = 'r1' order by version"))
    assert [(r["version"], r["kind"], r["body_text"]) for r in rows] == [
        (1, "initial", "Old 1."),
        (2, "edit", "Old 2."),
        (3, "edit", "Text one."),
        (4, "edit", "Text two."),  # the current version's text is still the report's
    ]
    assert rows[2]["diff"] == "-Old 2.\n+Text one." and rows[3]["seen_at"] == "2025-02-01T00:00:00+00:00"
    report = _one(store, "select * from reports where id = 'r1'")
    assert (report["version"], report["body_text"], report["first_seen_at"]) == (
        4,
        "Text two.",
        "2019-01-01T00:00:00+00:00",
    )
    assert _one(store, "select first_seen_at from posts where id = 'p1'")["first_seen_at"].startswith("2019")
    assert [
        (r["version"], r["digest"])
        for r in store.db.query("select * from version_provenance order by version")
    ] == [
        (1, "E1"),
        (2, "E2"),
        (4, "D"),
    ]
    assert _one(store, "select version from records")["version"] == 4
    assert _one(store, "select version from items")["version"] == 4
    alert = _one(store, "select * from alerts")
    assert (alert["id"], alert["summary"]) == ("a2", "Version 4: 1 word changed")  # its id: the same event
    store.close()
    digest(tmp_path / "n.db")  # the logical checksum reads it (the current text found by its number)


def _row(ts: str) -> CdxRow:
    return CdxRow("k", ts, "https://x.example/p/", "text/html", "200", f"D{ts}")


def _norm(text: str, title: str = "NEC report") -> Any:
    from necwatch.config import config_from_dict
    from necwatch.pipeline import normalize_post

    config = config_from_dict(
        {"sources": [{"name": "s", "type": "wordpress", "url": "https://x.example/"}]}, file="<t>"
    )
    post = Post(url="https://x.example/p/", title=title, body_text=text, body_html=f"<p>{text}</p>")
    return normalize_post(post, None, config.sources[0], config)


def test_identical_texts_are_one_version_and_the_live_text_is_no_new_version() -> None:
    from necwatch.normalize import content_hash

    a, b, live = "The NEC met.", "The NEC met and agreed.", "The NEC met and agreed the timetable."
    seq = [(_row("20190101000000"), _norm(a)), (_row("20190102000000"), _norm(a + "  ")),
           (_row("20190103000000"), _norm(b)), (_row("20190104000000"), _norm(live))]  # fmt: skip
    h = earlier_history(seq, content_hash(live), "NEC report")
    assert [e.row.timestamp for e in h.versions] == ["20190101000000", "20190103000000"]
    assert h.first_seen is not None and h.first_seen.timestamp == "20190101000000"
    # only the live text captured: no version, its first capture is the first sight
    same = earlier_history(seq[3:], content_hash(live), "NEC report")
    assert (
        same.versions == () and same.first_seen is not None and same.first_seen.timestamp == "20190104000000"
    )
    # a title changed is an edit too
    retitled = earlier_history(
        [(_row("20190101000000"), _norm(live, "Draft"))], content_hash(live), "NEC report"
    )
    assert len(retitled.versions) == 1
    assert earlier_history([], content_hash(live), "NEC report") == type(h)((), None)


def test_a_database_listed_before_histories_existed_reads_them_on_its_next_run(tmp_path: Path) -> None:
    """Upgrading: a site whose archive listing an older necwatch completed (no stored post's history
    read, later listings incremental) is listed whole once more after migration 19, so the stored
    posts' earlier captures still become their earlier versions."""
    import sqlite3

    with one_host_web(HOST) as web:
        captures, sc = reference_captures(web.base(HOST))
        with EmulatedArchive(captures) as a:
            config = demo_config(web, database=tmp_path / "n.db", hosts=[HOST])
            live = config.sources[0].model_copy(
                update={"archive": True, "archive_url": a.base, "archive_delay": 0}
            )
            config = config.model_copy(update={"sources": [live]})
            run_job(config)
            # the database as the necwatch before migration 19 left it: listing done, nothing waiting
            conn = sqlite3.connect(config.database_path, isolation_level=None)
            conn.execute("drop table archive_removals")
            conn.execute("alter table archive_progress drop column history")
            conn.execute("delete from comment_provenance")
            conn.execute("drop view comment_origin")
            conn.execute("drop table comment_provenance")
            conn.execute("alter table sources drop column extractor_version")  # migration 21
            conn.execute("pragma user_version = 18")
            conn.close()
            assert Store.open(config.database_path).archive_progress(live.name)["listed_until"] is None
            run_job(config)
            store = Store.open(config.database_path)
            rid = _one(store, "select report_id from posts where url = ?", sc.edited)["report_id"]
            assert [o["origin"] for o in store.version_origins(rid)] == ["archive", "live"]
            assert store.archive_progress(live.name)["listed_until"] is not None  # incremental again
