"""`necwatch archive`, `status` with archive progress, `inspect` of an archive URL."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from necwatch.cli import cli
from necwatch.webarchive.command import cdx_bound
from necwatch.webarchive.emulator import EmulatedArchive, reference_captures

SITE = "https://oldblog.example.invalid/"


def write_config(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "database": str(tmp_path / "n.db"),
                "allow_private_addresses": True,
                "fetch": {"per_host_delay": 0, "backoff": 0.01},
                "sources": [
                    {
                        "name": "old-blog",
                        "type": "archive",
                        "url": SITE,
                        "archive_url": base,
                        "delay": 0,
                        "author": "Alice Perry",
                    }
                ],
            }
        )
    )
    return path


def test_archive_command_dry_run_then_backfill_then_status(tmp_path: Path) -> None:
    captures, _sc = reference_captures(SITE)
    with EmulatedArchive(captures) as a:
        config = str(write_config(tmp_path, a.base))
        runner = CliRunner()
        dry = runner.invoke(cli, ["archive", "old-blog", "-c", config, "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "posts             11 (and 1 feeds) (and 1 listing" in dry.output and a.count("raw") == 0
        done = runner.invoke(cli, ["archive", "old-blog", "-c", config])
        assert done.exit_code == 0, done.output
        for line in (
            "captures listed",
            "new reports       11",
            "recovered reports 0",
            "versions          12",
        ):
            assert line in done.output, done.output
        status = runner.invoke(cli, ["status", "-c", config])
        assert "archive: complete; captures listed" in status.output, status.output
        as_json = json.loads(runner.invoke(cli, ["status", "-c", config, "--json"]).output)
        assert as_json[0]["archive"]["phase"] == "done"
        ranged = runner.invoke(
            cli, ["archive", "old-blog", "-c", config, "--from", "2019", "--to", "2019-12"]
        )
        assert ranged.exit_code == 0, ranged.output
        listed = json.loads(runner.invoke(cli, ["status", "-c", config, "--json"]).output)[0]["archive"]
        assert listed["listed_until"] == as_json[0]["archive"]["listed_until"]  # a range is no full listing
        bad = runner.invoke(cli, ["archive", "old-blog", "-c", config, "--from", "last week"])
        assert bad.exit_code == 2
        unknown = runner.invoke(cli, ["archive", "nope", "-c", config])
        assert unknown.exit_code == 2


def test_inspect_reads_an_archive_url_as_its_raw_capture(tmp_path: Path) -> None:
    captures, sc = reference_captures(SITE)
    with EmulatedArchive(captures) as a:
        config = str(write_config(tmp_path, a.base))
        url = f"{a.base}web/20190303120000/{sc.edited}"  # the replay URL a reader copies
        out = CliRunner().invoke(cli, ["inspect", url, "-c", config, "--json"])
        assert out.exit_code == 0, out.output
        found = json.loads(out.output)
        assert found["posts"][0]["title"] == "Labour NEC Report – January 2019"
        assert found["posts"][0]["url"] == sc.edited
        assert any("20190303120000id_/" in h.path for h in a.requests)
        assert a.count("replay") == 0


def test_cdx_bounds() -> None:
    assert cdx_bound("2019") == "2019"
    assert cdx_bound("2019-01-30") == "20190130"
    assert cdx_bound("2019-01-30T12:05") == "201901301205"
    assert cdx_bound(None) is None
