"""One bad value fails (or drops) that value's item, with its reason, never the run, the source or a
feed (issue 18, "One bad value breaks the run or every subscriber's feed"; RELIABILITY "One bad value
fails only its item").

Dates whose UTC conversion leaves years 1-9999, control characters, XML noncharacters and lone
surrogates, JSON Feed / WordPress REST / Blogger JSON fields of the wrong type, bidi controls in
labels, `<script>` inside `<title>`, and UTF-16 pages with a BOM: each driven through real polls of
local servers, and the pure functions underneath unit-tested."""

from __future__ import annotations

import codecs
import html
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from necwatch import feeds
from necwatch.config import Config, config_from_dict
from necwatch.decide import cut_short
from necwatch.demo import DEMO_SOURCES
from necwatch.errors import ParseError
from necwatch.extract.chars import clean_json, drop_bad_charrefs, title_text, xml_text
from necwatch.extract.dates import localize, parse_any, parse_iso, parse_local, parse_rfc2822, parse_words
from necwatch.extract.feeds import parse_any_feed, parse_json_feed
from necwatch.extract.page import read_post
from necwatch.fetch.encoding import decode
from necwatch.job import run_job
from necwatch.models import Comment, FetchRecord, Post
from necwatch.normalize import classify
from necwatch.pipeline import to_utc_iso
from necwatch.replay import ReplayWeb
from necwatch.sources.wordpress import parse_rest_posts, rest_datetime
from necwatch.store import Store
from tests.sources.blogsites import (
    ATOM,
    JSONFEED,
    REPORT_HTML,
    REPORT_TEXT,
    RSS,
    rss,
    rss_item,
    serve,
    wp_page,
)
from tests.tracking.helpers import BLOGGER_FEED, LL_POST, Timeline

FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 0}
HIGH = "9999-12-31T23:00:00-12:00"  # UTC: year 10000
LOW = "0001-01-01T00:30:00+14:00"  # UTC: year 0
RFC_HIGH = "Fri, 31 Dec 9999 23:00:00 -1200"
GOOD = "Wed, 24 Jan 2024 13:37:00 +0000"
TITLE = "NEC Report – 23 January 2024"
SITE = "https://bad.example/"
BAD_CHARS = "\x1b[31m\x01\ufffe\uffff"


# -- the pure functions ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", [HIGH, LOW, "9999-12-31T23:59:59-00:01"])
def test_a_date_with_no_utc_value_is_unreadable_not_an_overflow(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_iso(text)
    with pytest.raises(ValueError):
        parse_any(text)
    try:  # dateparser may read the words without the offset: then a time that does convert
        value = parse_words(text, "Europe/London")
    except ValueError:
        return
    assert not isinstance(value, datetime) or value.astimezone(UTC).year <= 9999


def test_rfc2822_local_and_localized_dates_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        parse_rfc2822(RFC_HIGH)
    with pytest.raises(ValueError, match="out of range"):
        parse_local("11:30 pm, December 31, 9999", "America/Los_Angeles")
    with pytest.raises(ValueError, match="out of range"):
        localize(datetime(1, 1, 1, 0, 30), ZoneInfo("Asia/Tokyo"))
    # the calendar's ends that do convert stay readable
    assert parse_iso("9999-12-31T23:00:00+00:00").year == 9999
    assert parse_iso("0001-01-01T00:30:00+00:00").year == 1


def test_to_utc_iso_never_raises() -> None:
    """The backstop where every adapter's times are converted: no UTC value → no date."""
    assert to_utc_iso(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-12)))) is None
    assert to_utc_iso(datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=14)))) is None
    assert to_utc_iso(datetime(2024, 1, 24, 13, 37, tzinfo=UTC)) == "2024-01-24T13:37:00+00:00"


def test_rest_dates_of_the_wrong_type_or_offset() -> None:
    with pytest.raises(ParseError):
        rest_datetime(5, "2024-01-01T00:00:00")  # type: ignore[arg-type]
    with pytest.raises(ParseError):
        rest_datetime({"a": 1}, None)  # type: ignore[arg-type]
    # local and GMT a day or more apart is no offset: the GMT time alone
    assert rest_datetime("2024-01-03T00:00:00", "2024-01-01T00:00:00") == datetime(2024, 1, 1, tzinfo=UTC)


def test_classify_and_feeds_handle_the_calendars_ends() -> None:
    """A post dated in year 1 or 9999 (readable in UTC) still classifies: no year 0 or 10000 inferred."""
    for when in (datetime(1, 1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 22, tzinfo=UTC)):
        post = Post(
            SITE + "p", TITLE, REPORT_HTML, REPORT_TEXT + " The NEC met on 23 January.", published_at=when
        )
        assert classify(post, None).is_nec_report
    assert feeds._rfc3339("garbage") == "1970-01-01T00:00:00Z"


def test_a_page_date_out_of_range_is_no_date() -> None:
    page = wp_page(TITLE, REPORT_HTML, published=HIGH)
    post = read_post(page, SITE + "2024/01/24/nec-report/", tz=ZoneInfo("Europe/London"))
    assert post.published_at is None and post.body_text == REPORT_TEXT


def test_xml_text_and_charrefs() -> None:
    assert xml_text("a" + BAD_CHARS + "\ud800b\t\n😀") == "a[31mb\t\n😀"
    assert drop_bad_charrefs("x&#xD800;&#27;&#x1b;&#xFFFE;&#65;&#x1F600;&amp;y") == "x&#65;&#x1F600;&amp;y"
    assert drop_bad_charrefs(b"x&#55296;\x01\x1b&#65;") == b"x&#65;"
    utf16 = codecs.BOM_UTF16_LE + "<a>&#xD800;</a>".encode("utf-16-le")
    assert drop_bad_charrefs(utf16) == utf16  # not ASCII-compatible: left to its parser
    assert clean_json({"t\ud800": ["\ud800x", 5, None, {"k": "\x1by"}]}) == {"t": ["x", 5, None, {"k": "y"}]}


def test_models_keep_only_clean_text() -> None:
    """Every adapter's Post and Comment: text as stored is valid UTF-8 and XML 1.0 text."""
    labels = ("NEC\u202e", "\u2066NEC\u2069", "A\u200eB", " Labour\x01  NEC ", "\u200f", "Labour NEC")
    post = Post(
        SITE + "p",
        TITLE + BAD_CHARS + "\ud800",
        "<p>x\x1b</p>",
        "x\x1b\ud800",
        author="Jo\x01",
        labels=labels,
    )
    assert (post.title, post.body_html, post.body_text, post.author) == (
        TITLE + "[31m",
        "<p>x</p>",
        "x",
        "Jo",
    )
    assert post.labels == ("NEC", "AB", "Labour NEC")
    comment = Comment("1", "Sam\ud800", "hi\x1b\ufffe", body_html="<p>hi\uffff</p>")
    assert (comment.author, comment.body_text, comment.body_html) == ("Sam", "hi", "<p>hi</p>")


@pytest.mark.parametrize(
    ("title", "kept"),
    [
        ("Report<script>alert(1)</script>", "Report"),
        ("Report<script>alert(1)", "Report"),
        ("NEC <b>Report</b><style>x{}</style>", "NEC Report"),
        ("Rep<img src=x onerror=alert(1)>ort", "Report"),
        ("Votes: 5 < 7 > 3", "Votes: 5 < 7 > 3"),
    ],
)
def test_markup_in_a_title_is_not_kept(title: str, kept: str) -> None:
    assert title_text(title) == kept
    assert Post(SITE + "p", title, "", "x").title == kept


def test_script_inside_the_page_title_element() -> None:
    """`<title>` is RCDATA: the parser hands its text over with the literal tags in it."""
    page = wp_page("X", REPORT_HTML, published="2024-01-24T13:37:00+00:00")
    for cut in (
        "<h1 class='entry-title'>X</h1>",
        "<meta property='og:title' content='X'>",
        '"headline": "X", ',
    ):
        page = page.replace(cut, "")  # only <title> says what the title is
    for served in ("Report<script>alert(1)</script>", "Report&lt;script&gt;alert(1)&lt;/script&gt;"):
        titled = page.replace("<title>X – Jo's blog</title>", f"<title>{served}</title>")
        post = read_post(titled, SITE + "2024/01/24/nec-report/", tz=ZoneInfo("Europe/London"))
        assert post.title == "Report"


def test_json_feed_fields_of_the_wrong_type_are_coerced() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {"id": 1, "url": SITE + "a", "title": 5, "content_html": REPORT_HTML, "date_published": 5},
            {
                "id": "2",
                "url": SITE + "b",
                "title": ["x"],
                "content_html": None,
                "content_text": {"a": 1},
                "authors": "Jo Member",
                "tags": "NEC",
                "date_modified": [1],
            },
            {
                "id": "3",
                "url": 7,
                "title": {"a": 1},
                "content_html": REPORT_HTML,
                "authors": [5, {"name": 3}],
            },
            {"id": "4", "url": SITE + "d", "title": "T\ud800", "summary": "s", "author": {"name": "Al"}},
            "not an item",
        ],
    }
    items = parse_json_feed(SITE + "feed.json", json.dumps(doc))
    assert [(i.link, i.title, i.published, i.author) for i in items] == [
        (SITE + "a", "5", None, None),
        (SITE + "b", "", None, "Jo Member"),
        (None, "", None, "3"),
        (SITE + "d", "T", None, "Al"),
    ]
    assert items[1].labels == ("NEC",) and items[1].content == "" and items[1].updated is None
    with pytest.raises(ParseError, match="items list"):  # no items at all: the feed's failure, classified
        parse_json_feed(SITE + "feed.json", json.dumps({**doc, "items": {"a": 1}}))


def test_a_lone_surrogate_reference_in_rss_and_atom() -> None:
    rss_doc = rss(
        SITE,
        [rss_item(SITE + "a", "NEC &#xD800;&#x1b;Report", content=REPORT_HTML, description="x", date=GOOD)],
    )
    (item,) = parse_any_feed(SITE + "feed/", rss_doc)
    assert item.title == "NEC Report"
    atom = ATOM_DOC.format(title="NEC &#xD800;&#1;Report\x1b", published="2024-01-24T13:37:00+00:00")
    (entry,) = parse_any_feed(SITE + "atom.xml", atom)
    assert entry.title == "NEC Report"


def test_wp_rest_post_of_the_wrong_type_fails_alone() -> None:
    good = {
        "id": 1,
        "link": SITE + "a",
        "title": {"rendered": TITLE},
        "content": {"rendered": REPORT_HTML},
        "date": "2024-01-24T13:37:00",
        "date_gmt": "2024-01-24T13:37:00",
    }
    bad = [
        {**good, "id": 2, "link": SITE + "b", "title": "a string"},
        {**good, "id": 3, "link": SITE + "c", "date": 5},
        {**good, "id": 4, "link": SITE + "d", "modified": {"x": 1}, "modified_gmt": []},
        "not an object",
    ]
    skipped: list[ParseError] = []
    rows = parse_rest_posts(SITE + "wp-json/wp/v2/posts", json.dumps([good, *bad]), skipped=skipped)
    assert [p.url for p, _ in rows] == [SITE + "a"]
    assert [e.url for e in skipped] == [SITE + "b", SITE + "c", SITE + "d", SITE + "wp-json/wp/v2/posts"]
    with pytest.raises(ParseError):  # without a place for skipped items, the page fails as before
        parse_rest_posts(SITE + "wp-json/wp/v2/posts", json.dumps([good, *bad]))


@pytest.mark.parametrize(
    ("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_utf16_page_with_a_bom_is_whole(bom: bytes, codec: str) -> None:
    page = "<html><head><meta charset='utf-16'></head><body><p>NEC £</p></body></html>"
    body = bom + page.encode(codec)
    assert decode(body, "text/html; charset=utf-8") == (page, codec)
    assert cut_short([_record(body)]) == []
    assert cut_short([_record(body[:-20])]) == [(SITE, SITE)]


def _record(body: bytes) -> FetchRecord:
    return FetchRecord(
        "jo",
        SITE,
        SITE,
        200,
        "2024-01-24T13:37:00+00:00",
        1,
        len(body),
        1,
        content_type="text/html",
        body=body,
    )


# -- through real polls ------------------------------------------------------------------------------
ATOM_DOC = (
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Jo</title>'
    "<id>tag:atom.example,2024:feed</id><updated>2024-01-25T09:00:00+00:00</updated>"
    "<entry><title>{title}</title><id>tag:atom.example,2024:1</id>"
    f'<link rel="alternate" type="text/html" href="{SITE}posts/nec-report"/>'
    "<published>{published}</published>"
    '<author><name>Jo Member</name></author><content type="html">'
    + html.escape(REPORT_HTML)
    + "</content></entry></feed>"
)


def _config(web: ReplayWeb, tmp: Path, url: str) -> Config:
    return config_from_dict(
        {
            "database": str(tmp / "n.db"),
            "feeds_dir": str(tmp / "feeds"),
            "allow_private_addresses": True,
            "fetch": {**FAST, "connect_timeout": 2, "read_timeout": 5},
            "sources": [{"name": "jo", "type": "feed", "url": web.local(url)}],
        }
    )


def _feeds_well_formed(feeds_dir: Path) -> list[str]:
    """Every generated Atom file parsed by a strict XML parser (ElementTree: expat)."""
    names = sorted(p.name for p in feeds_dir.glob("*.atom"))
    assert "reports.atom" in names and "changes.atom" in names
    for name in names:
        ET.parse(feeds_dir / name)  # raises on a file that is not well-formed
    return names


def _rows(store: Store, sql: str) -> list[dict[str, Any]]:
    return list(store.db.query(sql))


def _poll_site(tmp: Path, pages: dict[str, tuple[str | bytes, str]], url: str) -> tuple[Any, Store, Config]:
    web = serve(tmp, pages)
    try:
        config = _config(web, tmp, url)
        result = run_job(config)
        return result, Store.open(config.database_path), config
    finally:
        web.stop()


def _jsonfeed(date: str) -> str:
    item = {
        "id": "1",
        "url": SITE + "p1",
        "title": TITLE,
        "content_html": REPORT_HTML,
        "date_published": date,
    }
    other = {
        **item,
        "content_html": "<p>Out in the rain.</p>",
        "id": "2",
        "url": SITE + "p2",
        "title": "Canvassing",
        "date_published": "2024-01-20T10:00:00Z",
    }
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [item, other]})


def _rss(date: str, comment_date: str = GOOD) -> dict[str, tuple[str | bytes, str]]:
    report = SITE + "2024/01/24/nec-report/"
    comments = rss(
        SITE,
        [
            f"<item><title>By: Sam</title><link>{report}#comment-41</link><dc:creator>Sam</dc:creator>"
            f"<pubDate>{comment_date}</pubDate><description>Thanks.</description></item>",
        ],
    )
    items = [
        rss_item(
            report,
            TITLE,
            content=REPORT_HTML,
            description="x",
            date=date,
            comments=1,
            comment_feed=report + "feed/",
        ),
        rss_item(
            SITE + "2024/01/20/canvassing/",
            "Canvassing",
            content="<p>Out in the rain.</p>",
            description="x",
            date=GOOD,
        ),
    ]
    return {SITE + "feed/": (rss(SITE, items), RSS), report + "feed/": (comments, RSS)}


CASES = {
    "rss_pubdate_high": (lambda: _rss(RFC_HIGH), "feed/"),
    "rss_pubdate_iso_low": (lambda: _rss(LOW), "feed/"),
    "rss_comment_date_high": (lambda: _rss(GOOD, comment_date=HIGH), "feed/"),
    "atom_published_high": (
        lambda: {SITE + "atom.xml": (ATOM_DOC.format(title=TITLE, published=HIGH), ATOM)},
        "atom.xml",
    ),
    "atom_published_low": (
        lambda: {SITE + "atom.xml": (ATOM_DOC.format(title=TITLE, published=LOW), ATOM)},
        "atom.xml",
    ),
    "jsonfeed_high": (lambda: {SITE + "feed.json": (_jsonfeed(HIGH), JSONFEED)}, "feed.json"),
    "jsonfeed_low": (lambda: {SITE + "feed.json": (_jsonfeed(LOW), JSONFEED)}, "feed.json"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_date_out_of_range_is_no_date_and_the_run_goes_on(tmp_path: Path, case: str) -> None:
    pages, path = CASES[case]
    result, store, config = _poll_site(tmp_path, pages(), SITE + path)
    assert result.exit_code == 0, [(s.name, s.status, s.error) for s in result.sources]
    (report,) = _rows(store, "select * from reports where is_nec_report = 1")
    assert report["title"] == TITLE and report["body_text"] == REPORT_TEXT
    if "comment" in case:
        (comment,) = _rows(store, "select * from comments")
        assert comment["published_at"] is None and comment["body_text"] == "Thanks."
    else:
        assert report["published_at"] is None
    _feeds_well_formed(config.feeds_path)


def test_blogger_and_wordpress_dates_out_of_range(web: ReplayWeb, tmp_path: Path) -> None:
    """Blogger's feed entry dated past year 9999 in UTC is read from its page; a WordPress REST post
    whose date is an int fails alone (a failure row naming it), the other posts are stored."""
    feed = web.body(BLOGGER_FEED).decode()
    first = re.search(r"<entry>.*?</entry>", feed, re.S)
    assert first is not None
    entry = re.sub(r"<published>[^<]+</published>", f"<published>{HIGH}</published>", first.group(0))
    web.set(BLOGGER_FEED, feed.replace(first.group(0), entry, 1))
    tl = Timeline.open(web, tmp_path, ["lukeakehurst.blogspot.com", "aliceperry.wordpress.com"], fetch=FAST)
    posts = tl.wp_posts()
    bad_link = posts[0]["link"]
    posts[0]["date"] = 5
    posts[1]["title"] = "a string, not an object"
    tl.set_wp_posts(posts)
    result = tl.poll()
    status = {s.name: s.status for s in result.sources}
    assert status["luke-akehurst"] == "ok" and status["alice-perry"] == "partial"
    assert tl.count("posts", "source = 'luke-akehurst'") >= 1
    assert (
        tl.count(
            "fetch_errors",
            "source = 'alice-perry' and kind = 'unexpected_page' and url like ?",
            [f"%{bad_link.split('//', 1)[1].split('/', 1)[1]}"],
        )
        == 1
    )
    assert tl.count("posts", "source = 'alice-perry'") == len(posts) - 2
    assert tl.count("posts", "removed_at is not null") == 0


def _well_formed_after(tmp_path: Path, pages: dict[str, tuple[str | bytes, str]], path: str) -> Store:
    result, store, config = _poll_site(tmp_path, pages, SITE + path)
    assert result.exit_code == 0, [(s.name, s.status, s.error) for s in result.sources]
    _feeds_well_formed(config.feeds_path)
    for table, cols in (
        ("posts", "title, author, labels"),
        ("reports", "title, body_text, body_html, author"),
        ("comments", "author, body_text, body_html"),
        ("alerts", "title, summary"),
    ):
        for row in store.db.execute(f"select {cols} from {table}"):
            for value in row:
                if value is not None:
                    assert xml_text(value) == value
                    value.encode("utf-8")  # no lone surrogate
    return store


def test_control_characters_and_noncharacters_never_reach_a_feed(tmp_path: Path) -> None:
    report = SITE + "2024/01/24/nec-report/"
    comments = rss(
        SITE,
        [
            f"<item><title>By: Sam</title><link>{report}#comment-41</link>"
            f"<dc:creator>Sam{BAD_CHARS}</dc:creator>"
            f"<pubDate>{GOOD}</pubDate><description>Thanks{BAD_CHARS} &amp;#xD800;</description></item>",
        ],
    )
    title = f"NEC Report{BAD_CHARS} &#x1b;&#xD800;&#xFFFE; – 23 January 2024"
    item = rss_item(
        report,
        title,
        content=REPORT_HTML.replace("NEC met", f"NEC{BAD_CHARS} met"),
        description="x",
        date=GOOD,
        categories=("NEC\u202e", f"Labour{BAD_CHARS}"),
        comments=1,
        comment_feed=report + "feed/",
    ).replace("Jo Member", f"Jo{BAD_CHARS} Member")
    pages: dict[str, tuple[str | bytes, str]] = {
        SITE + "feed/": (rss(SITE, [item]), RSS),
        report + "feed/": (comments, RSS),
    }
    store = _well_formed_after(tmp_path, pages, "feed/")
    (post,) = _rows(store, "select * from posts")
    assert post["title"] == "NEC Report[31m – 23 January 2024"
    assert json.loads(post["labels"]) == ["NEC", "Labour[31m"]
    assert post["author"] == "Jo[31m Member"
    (comment,) = _rows(store, "select * from comments")
    assert comment["author"] == "Sam[31m"


def test_lone_surrogates_and_bidi_labels_through_a_json_feed(tmp_path: Path) -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "J",
        "items": [
            {
                "id": "1",
                "url": SITE + "p1",
                "title": "NEC Report \ud800– 23 January 2024",
                "content_html": REPORT_HTML + "<p>\ud800</p>",
                "date_published": "2024-01-24T13:37:00Z",
                "tags": ["\u202eNEC\u202c", "\u2066Labour\u2069", "A\u200eB"],
                "authors": [{"name": "Jo\udc00 Member"}],
            },
            {
                "id": "2",
                "url": SITE + "p2",
                "title": ["wrong"],
                "content_html": None,
                "content_text": "Canvassing in the rain.",
                "date_published": 1706103420,
                "authors": "Al",
            },
        ],
    }
    text = json.dumps(doc)  # json.dumps writes the lone surrogates as \ud800 escapes, as a hostile feed would
    assert "\\ud800" in text
    store = _well_formed_after(tmp_path, {SITE + "feed.json": (text, JSONFEED)}, "feed.json")
    rows = {r["url"].rsplit("/", 1)[1]: r for r in _rows(store, "select * from posts")}
    assert rows["p1"]["title"] == TITLE and rows["p1"]["author"] == "Jo Member"
    assert json.loads(rows["p1"]["labels"]) == ["NEC", "Labour", "AB"]
    assert (rows["p2"]["title"], rows["p2"]["author"], rows["p2"]["published_at"]) == ("", "Al", None)


def test_feed_writer_strips_what_xml_forbids_from_stored_rows(web: ReplayWeb, tmp_path: Path) -> None:
    """Rows stored before ingestion cleaned them (or written by hand) still give well-formed feeds."""
    tl = Timeline.open(web, tmp_path, ["labourlist.org"], fetch=FAST)
    tl.poll()
    bad = f"Evil{BAD_CHARS} title"  # (SQLite itself refuses to store a lone surrogate)
    tl.store.db.execute(
        "update reports set title = ?, author = ?, body_html = ?", [bad, bad, f"<p>{bad}</p>"]
    )
    tl.store.db.execute("update alerts set title = ?, summary = ?", [bad, bad])
    tl.store.db.conn.commit()
    feeds.write_feeds(tl.store, tl.config)
    _feeds_well_formed(tl.config.feeds_path)
    text = (tl.config.feeds_path / "reports.atom").read_text(encoding="utf-8")
    assert "Evil[31m title" in text


def test_utf16_pages_with_a_bom_are_stored(web: ReplayWeb, tmp_path: Path) -> None:
    page = web.body(LL_POST).decode("utf-8")
    tl = Timeline.open(web, tmp_path, ["labourlist.org"], fetch=FAST)
    tl.poll()
    expected = tl.post("2014/11/nec-report-november-4th-2014")
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        fresh = Timeline.open(web, tmp_path / codec, ["labourlist.org"], fetch=FAST)
        web.set(LL_POST, bom + page.encode(codec), content_type="text/html; charset=utf-8")
        assert fresh.poll().exit_code == 0
        got = fresh.post("2014/11/nec-report-november-4th-2014")
        assert (got["title"], got["content_hash"]) == (expected["title"], expected["content_hash"])
        assert fresh.count("fetch_errors") == 0
        web.set(LL_POST, page.encode("utf-8"), content_type="text/html; charset=utf-8")


def test_wordpress_rss_pubdate_out_of_range(web: ReplayWeb, tmp_path: Path) -> None:
    """WordPress read through its RSS (`via: rss`): the item dated past year 9999 in UTC is stored
    without a date, the feed's other items as before."""
    url = "https://aliceperry.wordpress.com/tag/general-election/feed/"
    host = "aliceperry.wordpress.com"
    sources = [{**DEMO_SOURCES[host], "url": web.base(host), "via": "rss"}]
    body = re.sub(
        rb"<pubDate>[^<]+</pubDate>", f"<pubDate>{RFC_HIGH}</pubDate>".encode(), web.body(url), count=1
    )
    web.set(url, body, content_type=web.entries[url].headers["content-type"])
    tl = Timeline.open(web, tmp_path, [host], fetch=FAST, sources=sources)
    result = tl.poll()
    assert result.exit_code == 0, [(s.status, s.error) for s in result.sources]
    assert tl.count("posts", "published_at is null") == 1
    assert tl.count("posts", "published_at is not null") >= 1


@pytest.mark.parametrize("text", [HIGH, LOW, "31 December 9999 23:30"])
def test_html_adapter_dates_out_of_range_are_unreadable(text: str) -> None:
    """`type: html` reads a page's date strictly: out of range is unreadable (its page's failure,
    unexpected_page), never re-read by dateutil without the offset, never an OverflowError."""
    from necwatch.sources.html import parse_date

    with pytest.raises(ValueError):
        parse_date(text, ZoneInfo("America/Los_Angeles"))


@pytest.mark.parametrize("ref", ["&#1;", "&#x1b;", "&#xFFFE;", "&#xD800;"])
def test_a_forbidden_character_reference_does_not_empty_a_generic_page(ref: str) -> None:
    """lxml (trafilatura, htmldate) dropped the whole document over one such reference: a page of
    no known platform then had no body, and its post failed."""
    from necwatch.extract.generic import generic_body

    page = (
        "<html><head><title>Jo's blog</title></head><body><main><article>"
        + REPORT_HTML.replace("NEC met", f"NEC {ref}met")
        + "</article></main></body></html>"
    )
    body = generic_body(page, SITE + "2024/01/24/nec-report/")
    assert body is not None and "The NEC met on Tuesday" in body


def test_blogger_feed_with_forbidden_characters_is_read(web: ReplayWeb, tmp_path: Path) -> None:
    """Blogger's Atom feed is parsed strictly (ElementTree): one ESC or `&#xD800;` in one title
    made the whole feed `feed_unparseable`. Now the characters are dropped and every post is read."""
    feed = web.body(BLOGGER_FEED).decode()
    first = re.search(r"<title type='text'>([^<]*)</title>", feed[feed.index("<entry>") :])
    assert first is not None
    title = first.group(1)
    feed = feed.replace(first.group(0), f"<title type='text'>{title}\x1b&#xD800;&#27;</title>", 1)
    web.set(BLOGGER_FEED, feed.encode(), content_type=web.entries[BLOGGER_FEED].headers["content-type"])
    tl = Timeline.open(web, tmp_path, ["lukeakehurst.blogspot.com"], fetch=FAST)
    result = tl.poll()
    assert result.exit_code == 0, [(s.status, s.error) for s in result.sources]
    assert tl.count("posts", "title = ?", [html.unescape(title).strip()]) == 1
    assert tl.count("fetch_errors") == 0
    feeds.write_feeds(tl.store, tl.config)
    _feeds_well_formed(tl.config.feeds_path)
