"""Publish: the one function that builds the Datasette instance, and the ways to serve or deploy it.

`build_datasette` configures everything (metadata, canned queries, feeds, plugin, templates,
settings). `serve` runs it locally; `publish` deploys a `VACUUM INTO` snapshot with
`datasette publish` or writes a static site (feeds + Datasette Lite).

Read-only by construction: a live database is opened with `mode=ro` (a scheduler may be writing
to it, so never `immutable`); only a snapshot nothing writes to is served with `-i`.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from necwatch.publish.metadata import DEFAULT_TITLE, FEED_QUERIES, build_metadata, nec_authors
from necwatch.publish.plugin import DOWNLOADS_MOUNT, POPOLO_FILE

if TYPE_CHECKING:
    from datasette.app import Datasette

    from necwatch.config import Config

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
PLUGIN_FILE = HERE / "plugin.py"
RECORD_PAGES_FILE = HERE / "record_pages.py"  # the record pages, which the plugin loads beside itself
STATIC_MOUNT = "necwatch-static"
SNAPSHOT_NAME = "necwatch.db"
DATASETTE_LITE = "https://lite.datasette.io/"

# Why each: facet suggestions cost ~1 s a page on 100k reports; facets are configured instead and
# capped; a small page size keeps HTML small; a query limit protects the instance.
SETTINGS: dict[str, Any] = {
    "suggest_facets": False,
    "facet_time_limit_ms": 150,
    "sql_time_limit_ms": 2000,
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_download": False,
    "truncate_cells_html": 300,
}

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def settings_for(*, public: bool, immutable: bool) -> dict[str, Any]:
    """Settings for a deployment: arbitrary SQL is off for the public, downloads only of snapshots."""
    s = dict(SETTINGS)
    s["default_allow_sql"] = not public
    s["allow_download"] = immutable
    return s


def _register_plugin() -> None:
    """Register the plugin in-process once (no package install; a module, not a plugins_dir)."""
    from datasette.plugins import pm

    from necwatch.publish import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="necwatch")


def build_datasette(
    path: Path,
    *,
    immutable: bool = False,
    public: bool = False,
    title: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Datasette:
    """The configured Datasette for one necwatch database (call `await ds.invoke_startup()` before use)."""
    from datasette.app import Datasette

    from necwatch.publish import plugin

    _register_plugin()
    path = Path(path)
    meta = metadata or build_metadata(path.stem, authors=nec_authors(path), title=title or DEFAULT_TITLE)
    meta, queries = split_queries(meta)
    ds = Datasette(
        files=[] if immutable else [str(path)],
        immutables=[str(path)] if immutable else [],
        metadata=meta,
        template_dir=str(TEMPLATES_DIR),
        static_mounts=[(STATIC_MOUNT, str(STATIC_DIR))],
        settings=settings_for(public=public, immutable=immutable),
    )
    plugin.serve_queries(ds, queries)
    return ds


def split_queries(meta: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Metadata without its canned queries, and the queries by database, for the plugin's hook
    (Datasette copies its whole metadata on every permission check: see plugin.serve_queries).
    The feeds stay: datasette-atom reads a feed's title from the metadata (they are small)."""
    databases: dict[str, Any] = {}
    queries: dict[str, dict[str, Any]] = {}
    for name, db in (meta.get("databases") or {}).items():
        every = db.get("queries") or {}
        feeds = {k: q for k, q in every.items() if k in FEED_QUERIES}
        queries[name] = {k: q for k, q in every.items() if k not in FEED_QUERIES}
        rest = {k: v for k, v in db.items() if k != "queries"}
        databases[name] = {**rest, "queries": feeds} if feeds else rest
    return {**meta, "databases": databases}, queries


def serve(path: Path, host: str = "127.0.0.1", port: int = 8001, immutable: bool = False) -> None:
    """Serve the database until interrupted.

    Arbitrary SQL is allowed only when listening on loopback (the operator's own machine); the
    database is read-only either way. Use `immutable` only for a snapshot nothing writes to.
    """
    import asyncio

    import uvicorn

    ds = build_datasette(Path(path), immutable=immutable, public=host not in LOOPBACK)
    asyncio.run(ds.invoke_startup())
    name = Path(path).stem
    click.echo(
        f"necwatch: serving {path} ({'immutable' if immutable else 'read-only'}) at http://{host}:{port}/{name}"
    )
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")


# -- snapshots and bundles ---------------------------------------------------------------------------


def snapshot(src: Path, dest: Path, *, strip_raw: bool = True) -> Path:
    """A consistent copy of a live database, swapped in atomically: VACUUM INTO a temp file, rename.

    `strip_raw` drops the archived raw page bodies (other sites' full HTML, large, and never shown).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        conn.execute("vacuum into ?", [str(tmp)])
    finally:
        conn.close()
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        if strip_raw:
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
            for t in ("raw_bodies", "responses"):
                if t in tables:
                    conn.execute(f"delete from {t}")
            conn.execute("vacuum")
        conn.execute("pragma journal_mode = delete")  # a single self-contained file
    finally:
        conn.close()
    os.replace(tmp, dest)
    return dest


def write_bundle(
    db_path: Path,
    out: Path,
    *,
    database: str | None = None,
    title: str | None = None,
    source_url: str | None = None,
) -> dict[str, Path]:
    """metadata.json and a plugins dir (a copy of plugin.py and the canned queries it serves) for
    `datasette` on another machine.

    `database` is the name Datasette will serve it under (the served file's stem).
    """
    out.mkdir(parents=True, exist_ok=True)
    meta = build_metadata(
        database or db_path.stem,
        authors=nec_authors(db_path),
        source_url=source_url,
        title=title or DEFAULT_TITLE,
    )
    from necwatch.publish.plugin import QUERIES_FILE

    meta, queries = split_queries(meta)
    metadata_path = out / "metadata.json"
    metadata_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    plugins = out / "plugins"
    plugins.mkdir(exist_ok=True)
    shutil.copyfile(PLUGIN_FILE, plugins / "necwatch_plugin.py")
    shutil.copyfile(RECORD_PAGES_FILE, plugins / "necwatch_record_pages.py")
    (plugins / QUERIES_FILE).write_text(json.dumps(queries, indent=2, ensure_ascii=False), encoding="utf-8")
    return {"metadata": metadata_path, "plugins": plugins}


def datasette_options(bundle: dict[str, Path], *, public: bool, immutable: bool) -> list[str]:
    """`datasette serve` options shared by local subprocesses and deployments."""
    opts = [
        "--metadata", str(bundle["metadata"]),
        "--plugins-dir", str(bundle["plugins"]),
        "--template-dir", str(TEMPLATES_DIR),
        "--static", f"{STATIC_MOUNT}:{STATIC_DIR}",
    ]  # fmt: skip
    for k, v in settings_for(public=public, immutable=immutable).items():
        opts += ["--setting", k, ("on" if v else "off") if isinstance(v, bool) else str(v)]
    return opts


def publish_command(
    target: str, snapshot_path: Path, bundle: dict[str, Path], service: str, downloads: Path | None = None
) -> list[str]:
    """The exact `datasette publish` command. Every target serves the files it is given with -i.

    `downloads`: a folder of files to publish beside the database (popolo.json), served at
    `/necwatch-downloads/<file>` and, for the Popolo file, `/<db>/-/popolo.json` (plugin.popolo_json).
    """
    settings = _settings_only(datasette_options(bundle, public=True, immutable=True))
    extra = " ".join(shlex.quote(x) for x in settings)
    cmd = [datasette_executable(), "publish", target, str(snapshot_path)]
    if target == "cloudrun":
        cmd += ["--service", service, "--memory", "1Gi"]
    elif target == "vercel":
        cmd += ["--project", service]
    elif target == "fly":
        cmd += ["--app", service]
    cmd += [
        "--metadata", str(bundle["metadata"]),
        "--plugins-dir", str(bundle["plugins"]),
        "--template-dir", str(TEMPLATES_DIR),
        "--static", f"{STATIC_MOUNT}:{STATIC_DIR}",
        *(["--static", f"{DOWNLOADS_MOUNT}:{downloads}"] if downloads else []),
        "--install", "datasette-atom==0.9",
        "--install", "nh3>=0.3,<0.4",
        "--extra-options", extra,
    ]  # fmt: skip
    return cmd


def _settings_only(opts: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(opts):
        if opts[i] == "--setting":
            out += opts[i : i + 3]
            i += 3
        else:
            i += 2
    return out


def publish(
    config: Config, target: str = "cloudrun", out_dir: Path = Path("site"), dry_run: bool = False
) -> None:
    """Publish a snapshot: `datasette publish <target>`, or a static site for GitHub Pages."""
    src = config.database_path
    if not src.exists():
        raise click.ClickException(f"no database at {src}: run `necwatch run` first")
    build = src.parent / "snapshot"
    if target == "static":
        site = write_static_site(config, Path(out_dir), dry_run=dry_run)
        click.echo(f"{'would write' if dry_run else 'wrote'} static site: {site}")
        return
    snap = build / SNAPSHOT_NAME
    bundle = write_bundle(
        src,
        build / "bundle",
        database=snap.stem,
        title=config.publish.title,
        source_url=config.publish.base_url,
    )
    downloads = build / "downloads"
    cmd = publish_command(target, snap, bundle, config.publish.service, downloads)
    if dry_run:
        click.echo(f"# snapshot: VACUUM INTO {snap}.tmp, then rename to {snap}")
        click.echo(f"# popolo: the snapshot's record as Popolo JSON to {downloads / POPOLO_FILE}")
        click.echo(shlex.join(cmd))
        return
    snapshot(src, snap)
    write_site_popolo(config, snap, downloads / POPOLO_FILE)
    if shutil.which(cmd[0]) is None:
        raise click.ClickException("datasette is neither next to necwatch's Python nor on PATH")
    subprocess.run(cmd, check=True)


def write_site_popolo(config: Config, snap: Path, out: Path) -> Path | None:
    """The snapshot's record as Popolo JSON (necwatch.popolo), its sources linking the published
    site's report pages when publish.base_url is set. A database from before the record tables is
    published without it (said on stderr), not refused."""
    from necwatch.popolo import write_popolo
    from necwatch.record.derive import roster_of

    try:
        write_popolo(
            snap, out, roster=roster_of(config), site_url=config.publish.base_url, database=snap.stem
        )
    except ValueError as e:
        click.echo(f"necwatch: no popolo.json: {e}", err=True)
        return None
    return out


def datasette_executable() -> str:
    """The `datasette` installed with necwatch (beside sys.executable, e.g. .venv/bin), so an
    unactivated virtualenv works; else whatever `datasette` is on PATH."""
    beside = Path(sys.executable).parent / ("datasette.exe" if os.name == "nt" else "datasette")
    return str(beside) if beside.exists() else "datasette"


def write_static_site(config: Config, out: Path, *, dry_run: bool = False) -> Path:
    """Feeds + snapshot + a Datasette Lite page: a site GitHub Pages can host (no server)."""
    if dry_run:
        return out
    out.mkdir(parents=True, exist_ok=True)
    snapshot(config.database_path, out / SNAPSHOT_NAME)
    write_site_popolo(config, out / SNAPSHOT_NAME, out / POPOLO_FILE)
    feeds_out = out / "feeds"
    feeds_out.mkdir(exist_ok=True)
    feeds_src = config.feeds_path
    n = 0
    if feeds_src.is_dir():
        for f in sorted(feeds_src.iterdir()):
            if f.is_file() and f.suffix in (".xml", ".atom"):
                shutil.copyfile(f, feeds_out / f.name)
                n += 1
    meta = build_metadata("necwatch", authors=nec_authors(out / SNAPSHOT_NAME), title=config.publish.title)
    (out / "metadata.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    feeds = [(p.name, feed_title(p)) for p in sorted(feeds_out.iterdir())]
    (out / "index.html").write_text(
        static_index(config.publish.title, feeds, config.publish.feeds_url), encoding="utf-8"
    )
    (out / ".nojekyll").write_text("", encoding="utf-8")
    return out


def feed_title(path: Path) -> str:
    """An Atom file's title, for the link that advertises it (its file name if it has none)."""
    import xml.etree.ElementTree as ET

    try:
        title = ET.parse(path).getroot().findtext("{http://www.w3.org/2005/Atom}title")
    except (ET.ParseError, OSError):
        title = None
    return title or path.name


def static_index(title: str, feeds: list[tuple[str, str]], site_url: str | None) -> str:
    """index.html: a link to Datasette Lite loading the snapshot, and the feeds (listed, and
    advertised with <link rel="alternate"> so browsers and feed readers find them from the page).

    `feeds` are (file name in feeds/, title)."""
    from html import escape

    from necwatch.feeds import static_locations

    base, _ = static_locations(site_url)
    if base:
        db_url = f"{base}/{SNAPSHOT_NAME}"
        lite = f"{DATASETTE_LITE}?url={db_url}&metadata={base}/metadata.json"
        lite_link = f'<a href="{escape(lite)}">Browse and search the reports in Datasette Lite</a>'
        script = ""
    else:
        lite_link = (
            '<a id="lite" href="' + DATASETTE_LITE + '">Browse and search the reports in Datasette Lite</a>'
        )
        script = (
            "<script>const u=new URL('"
            + SNAPSHOT_NAME
            + "',location.href),m=new URL('metadata.json',location.href);"
            "document.getElementById('lite').href='"
            + DATASETTE_LITE
            + "?url='+encodeURIComponent(u)+'&metadata='+encodeURIComponent(m);</script>"
        )
    items = "\n".join(
        f'    <li><a href="feeds/{escape(f)}">{escape(t)}</a> ({escape(f)})</li>' for f, t in feeds
    )
    alternates = "".join(
        f'\n  <link rel="alternate" type="application/atom+xml" title="{escape(t)}" href="feeds/{escape(f)}">'
        for f, t in feeds
    )
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(title)}</title>{alternates}
  <style>
    body{{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}}
  </style>
</head>
<body>
  <h1>{escape(title)}</h1>
  <p>Reports that members of Labour's National Executive Committee publish after its meetings, with
  every edit, removal and comment kept as a version.</p>
  <p>{lite_link} (runs entirely in your browser)
  or <a href="{SNAPSHOT_NAME}">download the SQLite database</a>.</p>
  <p>For researchers: <a href="{POPOLO_FILE}">the record as Popolo JSON</a> (meetings, decisions,
  votes, statements and people, each with the report and paragraph it comes from).</p>
  <h2>Atom feeds</h2>
  <ul>
{items or "    <li>No feeds yet.</li>"}
  </ul>
  {script}
</body>
</html>
"""


__all__ = [
    "FEED_QUERIES",
    "build_datasette",
    "publish",
    "publish_command",
    "serve",
    "snapshot",
    "write_bundle",
]
