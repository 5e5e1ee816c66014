"""The `necwatch` command: a thin face on the library. Exit: 0 ok, 1 partial failure, 2 bad config/usage."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from necwatch import __version__
from necwatch.alerts import AlertKind
from necwatch.config import Config, load_config
from necwatch.errors import ConfigError, DatabaseUnusable, LockHeld, StoreError

# The database the command works on, once known: a SQLite error that makes the whole file unusable
# (damaged, not SQLite) is reported against it in one line (see main).
_current_db: list[Path] = []


def _load(config_path: str, db: str | None, feeds_dir: str | None = None, *, polls: bool = False) -> Config:
    """The config, with --db and --feeds-dir applied. Feeds follow the database they come from: with
    --db and no --feeds-dir they go to `<db name>-feeds/` beside that database, never to the
    config's feeds_dir (which holds the config database's feeds). `polls`: a config with no source
    is an error (exit 2, nothing created)."""
    try:
        config = load_config(config_path, require_sources=polls)
    except ConfigError as e:
        raise UsageExit(str(e)) from e
    update: dict[str, str] = {}
    if db and Path(db).resolve() != config.database_path.resolve():
        update["database"] = str(Path(db).resolve())
        update["feeds_dir"] = str(feeds_dir_for(Path(db)).resolve())
    if feeds_dir:
        update["feeds_dir"] = str(Path(feeds_dir).resolve())
    config = config.model_copy(update=update) if update else config
    _current_db[:] = [Path(db) if db else config.database_path]
    return config


def feeds_dir_for(db: Path) -> Path:
    """Where the feeds of a database given with --db go by default: data/x.db → data/x-feeds/."""
    return db.with_name(db.stem + "-feeds")


def feeds_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--feeds-dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Where to write the Atom feeds (default: the config's feeds_dir; with --db, <db name>-feeds "
        "beside that database).",
    )(f)


def _database(config_path: str, db: str | None) -> Path:
    """--db when given (no config file needed), else the config's database; it must exist."""
    path = Path(db) if db else _load(config_path, None).database_path
    if not path.exists():
        raise UsageExit(f"no database at {path}: run `necwatch run` or `necwatch demo` first")
    _current_db[:] = [path]
    return path


class UsageExit(click.ClickException):
    """Bad config, usage or database: one line `error: …` on stderr, exit 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def config_option(help: str = "The config file.") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--config",
        "-c",
        "config_path",
        default="config.yaml",
        show_default=True,
        type=click.Path(dir_okay=False),
        help=help,
    )


def config_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--db", "db", type=click.Path(dir_okay=False), help="Database file (default: from config)."
    )(f)
    return config_option()(f)


def log_options(f: Callable[..., Any]) -> Callable[..., Any]:
    f = click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        default=None,
        help="Log format (default: text on a terminal, json when CI is set).",
    )(f)
    f = click.option("--verbose", "-v", is_flag=True, help="Debug logs.")(f)
    return f


def _setup_logs(log_format: str | None, verbose: bool) -> None:
    from necwatch import logs

    fmt = log_format or ("json" if os.environ.get("CI") else "text")
    logs.setup(fmt, "DEBUG" if verbose else "WARNING" if sys.stderr.isatty() else "INFO")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="necwatch")
def cli() -> None:
    """necwatch: follow Labour NEC reports published by NEC members, and every change to them.

    \b
    Quick start (no network needed):
      necwatch demo            build data/demo.db from the bundled snapshot
      necwatch serve --db data/demo.db   browse it in Datasette
    \b
    Then, for real (reads the sites in config.yaml):
      necwatch check           validate config.yaml (set your contact in user_agent)
      necwatch run             poll the sources in config.yaml

    Exit status: 0 ok; 1 a source or URL failed (the rest is stored); 2 bad config, bad usage or
    an unusable database (one line `error: <path>: <reason>`).
    """


@cli.command()
@config_options
@click.option("--source", "-s", "names", multiple=True, help="Poll only this source (repeatable).")
@click.option("--due", is_flag=True, help="Only sources whose next poll time has passed (for cron).")
@click.option("--trigger", default="cli", hidden=True, help="Recorded as the run's trigger.")
@feeds_option
@log_options
def run(
    config_path: str,
    db: str | None,
    feeds_dir: str | None,
    names: tuple[str, ...],
    due: bool,
    trigger: str,
    log_format: str | None,
    verbose: bool,
) -> None:
    """Poll every configured source once: discover, fetch what changed, store, alert, write feeds.

    \b
    Example:
      necwatch run --config config.yaml
      necwatch run -s luke-akehurst -s alice-perry --db data/necwatch.db

    Exit status: 0 every source polled cleanly; 1 at least one source (or URL) failed, the others
    are stored; 2 bad config or usage, or a database path or file it cannot use (one line, nothing
    written); another running necwatch makes it exit 0 without writing.
    """
    _setup_logs(log_format, verbose)
    config = _load(config_path, db, feeds_dir, polls=True)
    _check_names(config, names)
    from necwatch.job import run_job

    try:
        result = run_job(
            config, names=list(names) or None, due_only=due, trigger=trigger, progress=sys.stderr.isatty()
        )
    except LockHeld as e:
        click.echo(f"skipped: {e}", err=True)
        sys.exit(0)
    except DatabaseUnusable:
        raise
    except StoreError as e:
        raise click.ClickException(f"{e.kind}: {e}") from e
    _print_summary(result)
    sys.exit(result.exit_code)


def _print_summary(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"run {result.run_id}: {result.status}", show_edge=False)
    for col in (
        "source",
        "status",
        "new",
        "changed",
        "unchanged",
        "removed",
        "failed",
        "comments",
        "alerts",
        "requests",
        "304s",
        "bytes",
        "s",
    ):
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    for s in result.sources:
        table.add_row(
            s.name,
            s.status,
            *(
                str(x)
                for x in (
                    s.new,
                    s.changed,
                    s.unchanged,
                    s.removed,
                    s.failed,
                    s.comments,
                    s.alerts,
                    s.requests,
                    s.not_modified,
                    s.bytes,
                    s.seconds,
                )
            ),
        )
    Console(file=sys.stdout, width=140).print(table)
    if not result.sources:
        click.echo("no source was due")


@cli.command()
@config_options
@click.option("--online", is_flag=True, help="Also read each source's listing and say what it would read.")
def check(config_path: str, db: str | None, online: bool) -> None:
    """Validate the config file and say what is wrong, by file, field and value.

    Also fails on what would fail at run time (a private-address source without
    allow_private_addresses), warns when user_agent still names the shipped project page instead of
    your contact, and with --db checks that database (exit 2 when it is unusable).

    With --online, each source is probed politely (detection for `type: auto`, its listing, a few
    post pages) and what it would read is printed; exit 1 when a source cannot be read.

    \b
    Example:
      necwatch check --config config.yaml
      necwatch check --online
    """
    from necwatch.config import config_findings

    try:
        config = load_config(config_path, require_sources=True)
    except ConfigError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    errors, warnings = config_findings(config)
    for line in errors:
        click.echo(f"error: {config_path}: {line}", err=True)
    for line in warnings:
        click.echo(f"warning: {config_path}: {line}", err=True)
    if errors:
        sys.exit(2)
    click.echo(f"{config_path}: ok, {len(config.sources)} sources")
    for s in config.sources:
        click.echo(f"  {s.name:20} {s.type:11} {s.url}  every {s.interval / 3600:g}h")
    if db:
        _check_database(Path(db))
    if online:
        import asyncio

        from necwatch.probe import probe_source

        failed = 0
        for s in config.sources:
            result = asyncio.run(probe_source(config, s))
            failed += result.detection is None or result.posts == 0
            click.echo(f"\n{s.name}:")
            click.echo("\n".join("  " + line for line in result.lines()))
        sys.exit(1 if failed else 0)


def _check_database(path: Path) -> None:
    """`check --db`: the database is readable, SQLite, undamaged and of a schema this necwatch knows
    (read only; an unusable one exits 2 through main)."""
    from necwatch.store import Store
    from necwatch.store.opening import shown
    from necwatch.store.schema import schema_version

    if not path.exists():
        click.echo(f"{shown(path)}: no database yet (`necwatch run` creates it)")
        return
    _current_db[:] = [path]
    store = Store.open(path, readonly=True)
    try:
        version = schema_version(store.db.conn)
        click.echo(f"{shown(path)}: ok, schema version {version}, {store.counts().get('reports', 0)} reports")
    finally:
        store.close()


@cli.command()
@click.argument("url")
@click.option("--name", help="Source name (default: from the host, e.g. annblack-co-uk).")
@click.option("--match", help="Label or title regex that also marks NEC reports.")
@click.option("--author", help="Default author when a page does not say.")
@config_option("The config file to append the source to (validated afterwards).")
@click.option("--dry-run", is_flag=True, help="Only print the YAML entry; write nothing.")
def add(
    url: str, name: str | None, match: str | None, author: str | None, config_path: str, dry_run: bool
) -> None:
    """Probe a blog and add it to the config: platform, feed, posts, NEC labels, comments.

    The probe is polite (robots.txt, guards, a handful of requests through the same client as a run).
    The entry is appended to `sources:` keeping the file's comments and order, then the whole file
    is checked; a file that would not validate is left as it was.

    \b
    Example:
      necwatch add https://annblack.co.uk/ --author "Ann Black"
      necwatch add https://labourlist.org/tag/nec/ --name labourlist --dry-run
    """
    from pydantic import ValidationError

    from necwatch.config import Config
    from necwatch.probe import add_source, entry_for, probe, slug_for

    path = Path(config_path)
    try:
        config = load_config(path) if path.exists() else Config()
        name = name or slug_for(url)
        result = probe(config, url, name=name, match=match)
    except (ConfigError, ValidationError) as e:
        raise UsageExit(str(e)) from e
    click.echo("\n".join(result.lines()))
    if result.detection is None or result.posts == 0:
        raise click.ClickException(f"nothing to add: {url} could not be read (see what was tried above)")
    try:
        entry = entry_for(name, result.detection, match=match, author=author)
    except ValidationError as e:
        raise UsageExit(f"{url}: the detected entry does not validate: {e}") from e
    import yaml

    click.echo("\n" + yaml.safe_dump({"sources": [entry]}, sort_keys=False, allow_unicode=True).rstrip())
    if dry_run:
        return
    evidence = "; ".join(result.detection.evidence) or "probed"
    try:
        add_source(path, entry, comment=f"added by `necwatch add`: {evidence}")
    except ConfigError as e:
        raise UsageExit(str(e)) from e
    click.echo(f"\n{path}: added {entry['name']}; `necwatch check` passes")


@cli.command()
@click.option(
    "--db",
    "db",
    default="data/demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The database to build (replaced if it exists).",
)
@click.option(
    "--feeds-dir",
    default=None,
    type=click.Path(file_okay=False),
    help="Where to write the Atom feeds (default: <db name>-feeds beside the database, e.g. "
    "data/demo-feeds, so the demo never overwrites a real instance's data/feeds).",
)
@click.option("--serve", is_flag=True, help="Then serve the database with Datasette until interrupted.")
@click.option("--port", default=8001, show_default=True, help="Port for --serve.")
@log_options
def demo(
    db: str, feeds_dir: str | None, serve: bool, port: int, log_format: str | None, verbose: bool
) -> None:
    """Run the main job on the bundled snapshot of the four sites (no internet needed).

    Answers the sites' real https URLs from the snapshot (nothing leaves the machine), polls three
    states of it into a fresh database (the snapshot before its newest report, then a later state
    with a new report, an edit, a comment, a republication and a removal, then a restoration and
    comment changes), writes the feeds and prints what the database holds.

    \b
    Example:
      necwatch demo
      necwatch demo --serve --port 8001
    """
    _setup_logs(log_format, verbose)
    from necwatch.demo import run_demo

    feeds = Path(feeds_dir) if feeds_dir else feeds_dir_for(Path(db))
    results, store = run_demo(Path(db), feeds, archive=True)  # with the demo archive (docs/archive.md)
    for state, result in zip(("before", "later", "latest"), results, strict=True):
        click.echo(f"\nstate: {state}")
        _print_summary(result)
    _print_demo_contents(store, Path(db), feeds)
    store.close()
    if serve:
        from necwatch.publish import serve as serve_db

        serve_db(Path(db), port=port)
    sys.exit(max(r.exit_code for r in results))


def _print_demo_contents(store: Any, db: Path, feeds_dir: Path) -> None:
    counts = store.counts()
    click.echo(f"\ndatabase: {db.resolve()}")
    click.echo("holds: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    nec = store.nec_reports()
    click.echo(f"NEC reports: {len(nec)}")
    for r in nec:
        click.echo(
            f"  {r['meeting_date'] or '?':10}  {r['meeting_kind'] or '':14} {r['author']:14} {r['title']}"
        )
    for r in store.recoveries():
        click.echo(
            f"recovered from the web archive: report {r['report_id']} ({r['kind']}), capture of "
            f"{r['captured_at'][:10]} {r['archive_url']}"
        )
    click.echo(f"feeds: {feeds_dir.resolve()}")


@cli.command()
@config_options
@click.option("--since", help="Only alerts created at or after this ISO date/time.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(AlertKind.values()),
    help="Only these kinds (repeatable).",
)
@click.option("--limit", default=50, show_default=True, help="At most this many alerts, newest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def alerts(
    config_path: str, db: str | None, since: str | None, kinds: tuple[str, ...], limit: int, as_json: bool
) -> None:
    """List alerts: new, edited, removed and restored reports, comments, source health.

    Newest first; --since and --kind narrow the list. Reads the database only (any user who can
    read the file can run it).

    \b
    Example:
      necwatch alerts --since 2024-01-01 --kind report_edited
      necwatch alerts --json | jq .title
    """
    from necwatch.store import Store

    store = Store.open(_database(config_path, db), readonly=True)
    when = _iso_time("--since", since)
    for r in store.alerts_since(when, kinds or None, limit):
        if as_json:
            click.echo(json.dumps(r, ensure_ascii=False))
            continue
        flag = " (backfill)" if r["backfill"] else ""
        click.echo(f"{r['created_at']}  {r['kind']:18} {r['title'] or ''}{flag}")
        if r["summary"]:
            click.echo(f"    {r['summary'][:200]}")
        if r["url"]:
            click.echo(f"    {r['url']}")
        if r["delivery_error"] and not r["delivered_at"]:
            click.echo(f"    not delivered after {r['delivery_attempts']} attempts: {r['delivery_error']}")


def _iso_time(option: str, value: str | None) -> datetime | None:
    """An ISO date/time option (naive means UTC, as Store.alerts_since reads it); bad input: exit 2."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as e:
        raise UsageExit(f"{option}: not an ISO date/time: {value!r}") from e


class _TypeChoice(click.Choice):
    """`--type`: auto and every registered platform, read from the registry when first asked (so
    `necwatch --help` does not import the adapters)."""

    def __init__(self) -> None:
        super().__init__([])

    @property
    def choices(self) -> tuple[str, ...]:
        from necwatch.inspection import types

        return types()

    @choices.setter
    def choices(self, value: object) -> None:
        pass


@cli.command()
@click.argument("target")
@click.option("--url", help="The saved file's original address (for links and platform hints).")
@click.option(
    "--type", "type_", type=_TypeChoice(), default="auto", show_default=True,
    help="Read it as this source type would (auto, or a registered platform).",
)  # fmt: skip
@click.option(
    "--config", "-c", "config_path", type=click.Path(dir_okay=False), help="Fetch settings, html selectors."
)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object: target, platform, kind, posts, warnings."
)
def inspect(target: str, url: str | None, type_: str, config_path: str | None, as_json: bool) -> None:
    """What would necwatch extract from TARGET (a URL or a saved page), and by which method?

    Nothing is written to a database. Exit 0 extracted (or a listing: its post links are printed),
    1 extraction failed (the message names the stage and field, printed once), 2 usage. A file is
    read up to the run's size cap (fetch.max_bytes, default 10 MiB): one over it is refused as a run
    refuses such a page; a binary file (an image, a PDF, an archive) is "not HTML".

    \b
    Example:
      necwatch inspect https://lukeakehurst.blogspot.com/2024/01/nec-report-23-january-2024.html
      necwatch inspect saved.html --url https://example.org/2020/04/post/ --json
    """
    from necwatch.inspection import inspect as inspect_page
    from necwatch.inspection import render

    config = _load(config_path, None) if config_path else None
    if not target.startswith(("http://", "https://")) and not Path(target).is_file():
        raise UsageExit(f"{target}: neither an http(s) URL nor a file")
    from necwatch.webarchive.memento import parse_archive_url, raw_url

    capture = parse_archive_url(target) if target.startswith(("http://", "https://")) else None
    fetched, address = target, None
    if capture is not None:  # a Wayback URL: the raw capture (no toolbar), read as its original page
        fetched = raw_url(target.split("/web/", 1)[0] + "/", capture.timestamp, capture.original)
        address = url or capture.original
        if not as_json:
            click.echo(f"archive capture of {capture.original} at {capture.timestamp} (raw: {fetched})")
    result = inspect_page(fetched, url, type_, config=config, address=address)
    click.echo(json.dumps(result.as_json(), ensure_ascii=False, indent=2) if as_json else render(result))
    if result.error or not (result.posts or result.links):
        if not as_json:  # the JSON carries it: the failure is printed once
            click.echo(f"extraction failed: {result.error or 'no post'}", err=True)
        sys.exit(1)


@cli.command("archive")
@click.argument("source_name", metavar="SOURCE")
@config_options
@click.option("--from", "since", help="Only captures from this date (YYYY, YYYY-MM, YYYY-MM-DD).")
@click.option("--to", "until", help="Only captures up to this date (inclusive).")
@click.option("--dry-run", is_flag=True, help="List the captures and posts; fetch and write nothing else.")
@log_options
def archive_command(
    source_name: str,
    config_path: str,
    db: str | None,
    since: str | None,
    until: str | None,
    dry_run: bool,
    log_format: str | None,
    verbose: bool,
) -> None:
    """Backfill one source from the web archive (the Wayback Machine's CDX listing and captures).

    A `type: archive` source is read whole; a live source is recovered from (removed reports never
    stored in full, posts gone before the first poll). Prints captures listed, posts, new reports,
    recovered reports and versions. A long backfill stops at the source's `budget` of requests and
    resumes at the next run. Exit 0 complete, 1 stopped or failed (resumable), 2 usage.

    \b
    Example:
      necwatch archive old-blog
      necwatch archive old-blog --from 2012 --to 2016-06 --dry-run
    """
    from necwatch.webarchive.command import cdx_bound, run_archive, summary_lines

    _setup_logs(log_format, verbose)
    config = _load(config_path, db, polls=True)
    _check_names(config, (source_name,))
    try:
        bounds = cdx_bound(since), cdx_bound(until)
    except ValueError as e:
        raise UsageExit(str(e)) from e
    try:
        summary = run_archive(
            config, config.source(source_name), since=bounds[0], until=bounds[1], dry_run=dry_run
        )
    except LockHeld as e:
        click.echo(f"skipped: {e}", err=True)
        sys.exit(0)
    except StoreError as e:
        raise click.ClickException(f"{e.kind}: {e}") from e
    for line in summary_lines(summary):
        click.echo(line)
    sys.exit(0 if summary.complete or summary.dry_run else 1)


@cli.command()
@config_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per source.")
@click.option("--unmatched", is_flag=True, help="Only the names no one on the roster matched.")
def status(config_path: str, db: str | None, as_json: bool, unmatched: bool) -> None:
    """Each source's health: last ok, last error, next poll, consecutive failures; then the names
    the reports' records could not match to anyone on the roster.

    Lists the sources in config.yaml; with --db, the sources stored in that database (no config
    file needed). A source polled but never read successfully shows `never read`. Unmatched names
    are listed with how many reports name them and which (add them to `people:` in config.yaml,
    then run `necwatch reextract`); `--unmatched` prints only those (with --json: a JSON list of
    {name, count, reports}). Reads the database only (any user who can read the file can run it).

    \b
    Example:
      necwatch status
      necwatch status --db /var/lib/necwatch/necwatch.db
      necwatch status --unmatched --json
    """
    from necwatch.store import Store

    if db:
        store = Store.open(_database(config_path, db), readonly=True)
        sources = [(name, row["type"]) for name, row in store.polled_sources().items()]
    else:
        config = _load(config_path, None)
        store = Store.open(_database(config_path, None), readonly=True)
        sources = [(s.name, s.type) for s in config.sources]
    names = store.unmatched_names()
    if unmatched:
        if as_json:
            click.echo(json.dumps(names, indent=2, ensure_ascii=False))
        else:
            _print_unmatched(names)
        return
    out = store.source_status(sources)
    progress = {p["source"]: p for p in store.all_archive_progress()}  # the web archive (docs/archive.md)
    if as_json:
        rows = [{**o, **({"archive": progress[o["name"]]} if o["name"] in progress else {})} for o in out]
        click.echo(json.dumps(rows, indent=2))
        return
    for o in out:
        click.echo(f"{o['name']:20} {o['health']:13} posts={o['posts']} failures={o['consecutive_failures']}")
        click.echo(
            f"    last ok {o['last_ok_at'] or '-'}  polled {o['last_polled_at'] or '-'}  "
            f"next {o['next_check_at'] or 'now'}"
        )
        if o["extractor_version"]:
            click.echo(f"    read by extractor {_extractor_line(o['extractor_version'])}")
        if o["detected_type"]:
            click.echo(f"    detected: {o['detected_type']} at {o['detected_url']}")
        if o["excerpts"]:
            click.echo(f"    {o['excerpts']} posts stored as excerpts only (their pages could not be read)")
        if o["last_error"]:
            click.echo(f"    last error: {o['last_error']}")
        if o["name"] in progress:
            click.echo(f"    {_archive_line(progress[o['name']])}")
        if o["fallbacks"]:
            uses = ", ".join(f"{k} ×{n}" for k, n in sorted(o["fallbacks"].items()))
            click.echo(f"    relies on fallback extraction: {uses} (see `necwatch inspect URL`)")
    _print_unmatched(names, limit=UNMATCHED_SHOWN)


def _extractor_line(version: str) -> str:
    """The version; after an upgrade, until the next run re-extracts the source, that it will."""
    from necwatch.extract import EXTRACTOR_VERSION

    if version == EXTRACTOR_VERSION:
        return version
    return f"{version} (re-extracted by {EXTRACTOR_VERSION} on the next run)"


def _archive_line(p: dict[str, Any]) -> str:
    """A source's archive backfill in one line (status)."""
    pending = json.loads(p["pending"]) if p.get("pending") else []
    state = "complete" if p.get("phase") == "done" else f"{p.get('phase')}, {len(pending)} posts to read"
    return (
        f"archive: {state}; captures listed {p.get('captures_listed') or 0}, fetched "
        f"{p.get('captures_fetched') or 0}, versions {p.get('versions') or 0}, "
        f"recovered {p.get('recovered') or 0} (requests {p.get('requests') or 0}, "
        f"updated {p.get('updated_at') or '-'})"
    )


# `status` shows this many unmatched names (the most frequent); `status --unmatched` shows them all.
UNMATCHED_SHOWN = 20


def _print_unmatched(names: list[dict[str, Any]], limit: int | None = None) -> None:
    """The names no one on the roster matched: name, how many reports, which (ids)."""
    if not names:
        click.echo("unmatched names: none")
        return
    click.echo(f"unmatched names ({len(names)}; add them to `people:` in config.yaml, then reextract):")
    for n in names[:limit]:
        reports = ", ".join(n["reports"][:5]) + (" …" if len(n["reports"]) > 5 else "")
        click.echo(f"    {n['name']:30} {n['count']:>4} report{'' if n['count'] == 1 else 's'}: {reports}")
    if limit is not None and len(names) > limit:
        click.echo(f"    … and {len(names) - limit} more (necwatch status --unmatched)")


@cli.command()
@config_options
@click.option("--source", "-s", "names", multiple=True, help="Only this source (repeatable).")
@log_options
def reextract(
    config_path: str, db: str | None, names: tuple[str, ...], log_format: str | None, verbose: bool
) -> None:
    """Re-run extraction over the stored raw responses, without fetching anything.

    Changes a newer extractor makes are stored as technical versions and never alerted. Every
    source the database holds is replayed with the config that polled it (the config file's entry
    when it still reads the same type and URL); source health and schedules are left as they are.

    \b
    Example:
      necwatch reextract --db data/necwatch.db
    """
    _setup_logs(log_format, verbose)
    config = _load(config_path, db)
    path = _database(config_path, db)
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        raise UsageExit(f"{path}: the database (or its folder) is read-only; reextract writes to it")
    from necwatch.job import reextract as do_reextract

    try:
        result = do_reextract(config, names=list(names) or None)
    except ConfigError as e:  # a --source this database does not hold
        raise UsageExit(str(e)) from e
    except LockHeld as e:
        click.echo(f"skipped: {e}", err=True)
        sys.exit(0)
    except DatabaseUnusable:
        raise
    except StoreError as e:
        raise click.ClickException(f"{e.kind}: {e}") from e
    _print_summary(result)
    if result.records is not None:
        click.echo(f"re-derived {result.records} records from the stored texts")
    sys.exit(result.exit_code)


def _check_names(config: Config, names: tuple[str, ...]) -> None:
    """Every --source must name a configured source (exit 2 listing them otherwise)."""
    for n in names:
        try:
            config.source(n)
        except ConfigError as e:
            raise UsageExit(str(e)) from e


@cli.command()
@config_options
@log_options
def schedule(config_path: str, db: str | None, log_format: str | None, verbose: bool) -> None:
    """Run as a long-lived daemon: poll each source on its own interval until SIGTERM/SIGINT.

    Holds the run lock for its whole life, so cron runs against the same database exit cleanly.

    \b
    Example:
      necwatch schedule --config config.yaml
    """
    _setup_logs(log_format, verbose)
    config = _load(config_path, db, polls=True)
    from necwatch.schedule import run_scheduler

    def announce(first: dict[str, datetime]) -> None:
        click.echo(f"scheduler started: {len(first)} sources (SIGTERM or Ctrl-C stops it)")
        for name, at in sorted(first.items(), key=lambda x: x[1]):
            click.echo(f"  {name:20} next poll {at.isoformat(timespec='seconds')}")

    try:
        run_scheduler(config, on_start=announce)
    except LockHeld as e:
        raise click.ClickException(str(e)) from e


@cli.command()
@config_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", "-p", default=8001, show_default=True, help="Port to listen on.")
@click.option("--immutable", is_flag=True, help="Serve a published snapshot that nothing writes to (-i).")
def serve(config_path: str, db: str | None, host: str, port: int, immutable: bool) -> None:
    """Browse the database in Datasette: reports, meetings, versions, comments, search and feeds.

    The live database is served read-only (a running scheduler may write to it). A database in a
    folder this user cannot write (another user's, a read-only filesystem) is served immutable:
    restart serve to see later runs.

    \b
    Example:
      necwatch serve --db data/necwatch.db --port 8001
    """
    path = _database(config_path, db)
    from necwatch.publish import serve as serve_db
    from necwatch.store.opening import connect_readonly, quick_check, require_schema, shown

    conn, mode = connect_readonly(path)  # refuses a file that is not SQLite, as every command does
    try:
        quick_check(conn, path)
        require_schema(conn, path)
    finally:
        conn.close()
    if mode == "immutable" and not immutable:
        click.echo(
            f"necwatch: {shown(path)}: its folder is not writable by this user, so it is served "
            "immutable (--immutable): restart serve to see later runs",
            err=True,
        )
        immutable = True
    serve_db(path, host=host, port=port, immutable=immutable)


@cli.command()
@config_options
@click.option(
    "--target",
    type=click.Choice(["cloudrun", "vercel", "fly", "static"]),
    default=None,
    help="Where to publish (default: publish.target in the config).",
)
@click.option(
    "--out",
    "out_dir",
    default="site",
    show_default=True,
    type=click.Path(file_okay=False),
    help="For --target static: the directory to write.",
)
@click.option("--dry-run", is_flag=True, help="Print the command instead of running it.")
def publish(config_path: str, db: str | None, target: str | None, out_dir: str, dry_run: bool) -> None:
    """Publish a snapshot of the database: `datasette publish`, or a static site of feeds + Datasette Lite.

    \b
    Example:
      necwatch publish --target static --out site
      necwatch publish --target cloudrun --dry-run
    """
    config = _load(config_path, db)
    from necwatch.publish import publish as do_publish

    do_publish(config, target=target or config.publish.target, out_dir=Path(out_dir), dry_run=dry_run)


@cli.command()
@config_options
@feeds_option
def feeds(config_path: str, db: str | None, feeds_dir: str | None) -> None:
    """Rewrite the Atom feeds in feeds_dir from the database (the run does this too).

    \b
    Example:
      necwatch feeds --db data/necwatch.db
    """
    config = _load(config_path, db, feeds_dir)
    from necwatch.feeds import write_feeds
    from necwatch.store import Store

    store = Store.open(_database(config_path, str(config.database_path)), readonly=True)
    n = write_feeds(store, config)
    click.echo(f"wrote {n} feeds to {config.feeds_path}")


@cli.command("export")
@config_options
@click.argument("directory", type=click.Path(file_okay=False), required=False)
@click.option(
    "--popolo",
    "popolo_file",
    type=click.Path(dir_okay=False),
    help="Also (or only) write the record as Popolo JSON to this file (docs/publishing.md).",
)
@click.option(
    "--site-url",
    help="The published site's address, so each source also links its paragraph on necwatch's "
    "report page (/necwatch/reports/ID#PARAGRAPH; default: publish.base_url in the config).",
)
def export_cmd(
    config_path: str, db: str | None, directory: str | None, popolo_file: str | None, site_url: str | None
) -> None:
    """Write the dataset as sorted NDJSON text files (one per report) under DIRECTORY; with
    --popolo, the NEC record (meetings, decisions, votes, statements, people) as Popolo JSON.

    \b
    Example:
      necwatch export --db data/necwatch.db data/dataset
      necwatch export --db data/necwatch.db --popolo popolo.json
    """
    if directory is None and popolo_file is None:
        raise UsageExit("give a DIRECTORY for the dataset, --popolo FILE for the record, or both")
    path = _database(config_path, db)
    if directory is not None:
        from necwatch.store.export import export_dataset

        n = export_dataset(path, directory)
        click.echo(f"exported {n} files to {directory}")
    if popolo_file is not None:
        from necwatch.feeds import DATASETTE_DB
        from necwatch.popolo import write_popolo
        from necwatch.record.derive import roster_of

        config: Config | None = None
        if not db or Path(config_path).is_file():
            with contextlib.suppress(UsageExit):
                config = _load(config_path, None)
        _current_db[:] = [path]
        site = site_url or (config.publish.base_url if config else None)
        # the site serves the published snapshot, named necwatch whatever the live file's name
        try:
            counts = write_popolo(
                path, popolo_file, roster=roster_of(config), site_url=site, database=DATASETTE_DB
            )
        except ValueError as e:  # a database from before the record tables
            raise UsageExit(f"{path}: {e}") from e
        click.echo(f"wrote popolo {popolo_file}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@cli.command("import")
@config_options
@click.argument("directory", type=click.Path(file_okay=False, exists=True))
def import_cmd(config_path: str, db: str | None, directory: str) -> None:
    """Rebuild the database from an export (the database file is replaced).

    The export is imported into a new file beside the database, which replaces it only when the
    whole export was read: a broken export leaves the database as it was.

    \b
    Example:
      necwatch import --db data/necwatch.db data/dataset
    """
    from necwatch.record.derive import roster_of
    from necwatch.store.export import ImportFailed, import_dataset

    # the records are derived again on import, with the config's people when there is a config
    # (with --db none is needed: a missing or broken one leaves the shipped roster)
    config: Config | None = None
    if not db:
        config = _load(config_path, None)
        path = config.database_path
    else:
        path = Path(db)
        if Path(config_path).is_file():
            with contextlib.suppress(UsageExit):
                config = _load(config_path, None)
    _current_db[:] = [path]
    from necwatch.lock import run_lock

    try:
        with run_lock(path):  # no run writes to the file being replaced
            n = import_dataset(directory, path, roster=roster_of(config))
    except ImportFailed as e:
        raise UsageExit(str(e)) from e
    except LockHeld as e:
        raise UsageExit(str(e)) from e
    click.echo(f"imported {n} rows into {path}")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except DatabaseUnusable as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    except sqlite3.DatabaseError as e:  # found mid-command: a damaged page the open did not read
        from necwatch.store.opening import unusable

        refused = unusable(_current_db[0], e) if _current_db else None
        if refused is None:
            raise
        click.echo(f"error: {refused}", err=True)
        sys.exit(2)
    except click.UsageError as e:
        e.show()
        sys.exit(2)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except SystemExit:
        raise
