"""Ordinary site behaviour is not an event (issue 18, "every attack held").

* WordPress "break comments into pages": a new comment pushes the oldest onto `…/comment-page-N/`
  and the post shows the newest page. The comment pages are followed (any navigation markup, page to
  page, same post and host only, bounded) and merged: no `comment_removed`. A comment page that fails
  makes the list unknown, never partial, so nothing is inferred from it.
* A post whose slug changed, the old URL answering 301 to the new one on the same site, is the same
  post moved: no `report_republished`, no `new_comment` for comments already stored.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from necwatch.config import config_from_dict
from necwatch.demo import DEMO_SOURCES
from necwatch.replay import ReplayWeb
from necwatch.sources.wordpress import MAX_COMMENT_PAGES, comment_page_urls
from necwatch.store import Store
from tests.tracking.helpers import WP, Timeline

ALICE = "aliceperry.wordpress.com"
SEPT = f"{WP}/2019/09/19/labour-nec-report-17-september/"
FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1, "connect_timeout": 2, "read_timeout": 5}


# docs/sources.md's worked example of an `html` source: Alice Perry's blog through its tag pages
HTML_SOURCE = {
    "name": "alice-perry-html",
    "type": "html",
    "author": "Alice Perry",
    "selectors": {
        "item": "#content article.post",
        "link": ".entry-title a",
        "next_page": ".nav-previous a",
        "title": "article .entry-title",
        "body": "article .entry-content",
        "remove": ["#jp-post-flair"],
        "date": "article .entry-meta time.entry-date",
        "date_attr": "datetime",
        "author": "article .entry-meta .author a",
        "comment": ".commentlist li.comment",
        "comment_author": ".comment-author .fn",
        "comment_date": ".comment-meta time",
        "comment_body": ".comment-content",
    },
}


def wp_timeline(web: ReplayWeb, tmp_path: Path, via: str) -> Timeline:
    """Alice Perry's blog read through its RSS feed or HTML archive (comments from the post's page),
    or (via "selectors") as an `html` source with comment selectors."""
    if via == "selectors":
        source = {**HTML_SOURCE, "url": web.base(ALICE) + "tag/general-election/"}
    else:
        source = {**DEMO_SOURCES[ALICE], "url": web.base(ALICE), "via": via}
    config = config_from_dict(
        {
            "database": str(tmp_path / "t.db"),
            "feeds_dir": str(tmp_path / "feeds"),
            "allow_private_addresses": True,
            "fetch": FAST,
            "sources": [source],
        },
        file="<test>",
    )
    return Timeline(web, config, Store.open(config.database_path))


def comment(n: int) -> str:
    cid = 3000 + n
    return (
        f'<li class="comment depth-1" id="li-comment-{cid}"><article id="comment-{cid}" class="comment">'
        f'<header class="comment-meta comment-author vcard"><cite><b class="fn">Reader {n}</b></cite>'
        f'<a href="{SEPT}#comment-{cid}"><time datetime="2019-09-{10 + n:02d}T08:00:00+01:00">'
        f"September {10 + n}, 2019</time></a></header>"
        f'<section class="comment-content comment"><p>{html.escape(f"Comment number {n} on the report.")}</p>'
        "</section></article></li>"
    )


def post_page(web: ReplayWeb, numbers: range | list[int], nav: str = "", head: str = "") -> bytes:
    """The September post's page printing these comments, with `nav` before the list (a Kubrick-like
    `.navigation` at the end of the page when nav starts with '@end:') and `head` in its <head>."""
    page = ORIGINAL[SEPT]
    start = page.index('<ol class="commentlist">')
    end = page.index("</ol><!-- .commentlist -->") + len("</ol><!-- .commentlist -->")
    items = "".join(comment(n) for n in numbers)
    listing = f'<ol class="commentlist">{items}</ol><!-- .commentlist -->'
    if nav.startswith("@end:"):
        page = page[:start] + listing + page[end:]
        page = page.replace("</body>", nav[5:] + "</body>", 1)
    else:
        page = page[:start] + nav + listing + page[end:]
    return page.replace("</head>", head + "</head>", 1).encode()


ORIGINAL: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _original(web: ReplayWeb) -> None:
    ORIGINAL[SEPT] = web.body(SEPT).decode()


def older(page: int, label: str = "Older comments") -> str:
    return f'<a href="{SEPT}comment-page-{page}/#comments">{label}</a>'


NAVS = {
    # Kubrick and its descendants: `#comments` is only the heading; the links sit outside it
    "kubrick": "@end:" + f'<div class="navigation"><div class="alignleft">{older(1)}</div></div>',
    "twenty": f'<nav class="navigation comment-navigation"><div class="nav-links">'
    f'<div class="nav-previous">{older(1)}</div></div></nav>',
    "link_rel_prev": "",  # only a <link rel="prev"> in the head
}


def comment_kinds(alerts: list[dict[str, object]]) -> list[str]:
    """The comment alerts among `alerts` (new_comment, comment_edited, comment_removed)."""
    return sorted(kind for a in alerts if "comment" in (kind := str(a["kind"])))


@pytest.mark.parametrize("style", sorted(NAVS))
@pytest.mark.parametrize("via", ["rss", "html", "selectors"])
def test_comment_paging_is_not_a_removal(web: ReplayWeb, tmp_path: Path, style: str, via: str) -> None:
    tl = wp_timeline(web, tmp_path, via)
    web.set(SEPT, post_page(web, range(1, 7)))  # six comments, one page
    tl.poll()
    assert tl.count("comments") == 6

    # A 7th comment: the 4 oldest move to comment-page-1/, the post shows the 3 newest
    head = f'<link rel="prev" href="{SEPT}comment-page-1/">' if style == "link_rel_prev" else ""
    web.set(SEPT, post_page(web, range(5, 8), NAVS[style], head))
    web.set(f"{SEPT}comment-page-1/", post_page(web, range(1, 5)))
    alerts = tl.step()
    assert comment_kinds(alerts) == ["new_comment"]
    assert tl.count("comments", "removed_at is null") == 7

    # A comment page that fails: the list is unknown, nothing is inferred
    web.set(f"{SEPT}comment-page-1/", b"busy", status=503)
    assert comment_kinds(tl.step()) == []
    assert tl.count("comments", "removed_at is null") == 7
    assert tl.count("fetch_errors", "url like ?", ["%comment-page-1/%"]) >= 1

    # ... and coming back raises nothing either
    web.set(f"{SEPT}comment-page-1/", post_page(web, range(1, 5)))
    assert comment_kinds(tl.step()) == []
    assert tl.count("comments", "removed_at is null") == 7


def test_comment_pages_are_followed_page_to_page(web: ReplayWeb, tmp_path: Path) -> None:
    """A theme linking only its neighbour: post → page 2 → page 1, all merged."""
    tl = wp_timeline(web, tmp_path, "html")
    web.set(SEPT, post_page(web, range(1, 11)))
    tl.poll()
    assert tl.count("comments") == 10
    web.set(SEPT, post_page(web, range(9, 12), NAVS["twenty"].replace("comment-page-1", "comment-page-2")))
    web.set(f"{SEPT}comment-page-2/", post_page(web, range(5, 9), NAVS["twenty"]))
    web.set(f"{SEPT}comment-page-1/", post_page(web, range(1, 5), older(2, "Newer comments")))
    assert comment_kinds(tl.step()) == ["new_comment"]
    assert tl.count("comments", "removed_at is null") == 11


def test_a_comment_page_without_comments_is_not_a_partial_list(web: ReplayWeb, tmp_path: Path) -> None:
    tl = wp_timeline(web, tmp_path, "html")
    web.set(SEPT, post_page(web, range(1, 7)))
    tl.poll()
    web.set(SEPT, post_page(web, range(5, 8), NAVS["twenty"]))
    page = post_page(web, range(1, 5)).decode()
    # a redesign the reader does not know: neither the list's class nor WordPress's comment ids and
    # comment_class() (items are recognised by those wherever the list is, whatever its class)
    redesigned = page.replace("commentlist", "redesigned-list").replace('id="li-comment-', 'id="note-')
    redesigned = redesigned.replace('id="comment-', 'id="note-').replace("depth-1", "level-1")
    web.set(f"{SEPT}comment-page-1/", redesigned)
    assert comment_kinds(tl.step()) == []
    assert tl.count("comments", "removed_at is null") == 6


def test_comment_page_links_stay_on_the_post_and_host() -> None:
    page = (
        f'<div class="nav-links"><a href="{SEPT}comment-page-2/">2</a>'
        f'<a href="{SEPT}comment-page-3/#comments">3</a>'
        f'<a href="{WP}/2019/09/18/another-post/comment-page-1/">other post</a>'
        f'<a href="https://evil.example/2019/09/19/labour-nec-report-17-september/comment-page-1/">x</a>'
        f'<a href="{SEPT}?replytocom=5#respond">reply</a></div>'
    )
    assert comment_page_urls(SEPT, page) == [f"{SEPT}comment-page-2/", f"{SEPT}comment-page-3/"]
    # from a comment page, the others of the same post (not itself)
    assert comment_page_urls(f"{SEPT}comment-page-2/", page) == [f"{SEPT}comment-page-3/"]
    assert MAX_COMMENT_PAGES == 50


# -- a slug changed, the old URL answering 301 --------------------------------------------------
NEW_SEPT = f"{WP}/2019/09/19/nec-report-17-september-2019/"
LL_TAG = "https://labourlist.org/tag/nec/"
LL_OLD = "https://labourlist.org/2014/11/nec-report-november-4th-2014/"
LL_NEW = "https://labourlist.org/2014/11/nec-report-4-november-2014/"


def _rename(web: ReplayWeb, old: str, new: str, status: int) -> None:
    """The post now lives at `new` (its page says so); `old` answers a redirect to it."""
    web.set(new, web.body(old).replace(old.encode(), new.encode()))
    web.set(old, b"", status=status, headers={"location": new})


def _post_state(tl: Timeline, post_id: str) -> tuple[object, ...]:
    post = tl.one("select * from posts where id = ?", [post_id])
    comments = sorted(
        r["id"] for r in tl.store.db.query("select id from comments where post_id = ?", [post_id])
    )
    versions = tl.count("report_versions", "report_id = ?", [post["report_id"]])
    return post["report_id"], post["content_hash"], tuple(comments), versions


@pytest.mark.parametrize("status", [301, 308])
def test_wordpress_slug_change_is_a_move(web: ReplayWeb, tmp_path: Path, status: int) -> None:
    """The REST listing shows the new link, the old URL redirects permanently to it."""
    tl = Timeline.open(web, tmp_path, [ALICE], fetch=FAST)
    assert tl.poll().exit_code == 0
    before = tl.post("/labour-nec-report-17-september/")
    state = _post_state(tl, before["id"])
    assert len(state[2]) == 2  # the post's two comments
    posts, reports = tl.count("posts"), tl.count("reports")

    _rename(web, SEPT, NEW_SEPT, status)
    tl.edit_wp(4215, lambda p: p.update(link=NEW_SEPT, slug="nec-report-17-september-2019"))
    comments_url = f"{WP}/wp-json/wp/v2/comments?post=4215"
    web.set(
        comments_url,
        web.body(comments_url).replace(b"labour-nec-report-17-september", b"nec-report-17-september-2019"),
    )
    assert tl.step() == []  # no report_republished, no new_comment, no removal

    moved = tl.one("select * from posts where id = ?", [before["id"]])
    assert moved["url"] == web.local(NEW_SEPT)
    assert moved["moved_from"] == web.local(SEPT)
    assert moved["removed_at"] is None
    assert _post_state(tl, before["id"]) == state  # same report, version, comments
    assert (tl.count("posts"), tl.count("reports")) == (posts, reports)

    # a comment added later is one new_comment on the same post
    comments = json.loads(web.body(comments_url))
    new = {**comments[0], "id": 9999, "content": {"rendered": "<p>A later comment.</p>"}, "parent": 0}
    web.set(comments_url, json.dumps([*comments, new]), content_type="application/json; charset=UTF-8")
    alerts = tl.step()
    assert [a["kind"] for a in alerts] == ["new_comment"]
    assert alerts[0]["post_id"] == before["id"]


@pytest.mark.parametrize("listed", ["new", "old"])
def test_labourlist_slug_change_is_a_move(web: ReplayWeb, tmp_path: Path, listed: str) -> None:
    """The tag page shows the new URL (or still the old one), the old URL answers 301."""
    tl = Timeline.open(web, tmp_path, ["labourlist.org"], fetch=FAST)
    assert tl.poll().exit_code == 0
    before = tl.post("/2014/11/nec-report-november-4th-2014/")
    state = _post_state(tl, before["id"])
    posts = tl.count("posts")

    _rename(web, LL_OLD, LL_NEW, 301)
    if listed == "new":
        web.set(LL_TAG, web.body(LL_TAG).replace(LL_OLD.encode(), LL_NEW.encode()))
    assert tl.step() == []

    moved = tl.one("select * from posts where id = ?", [before["id"]])
    assert (moved["url"], moved["moved_from"]) == (web.local(LL_NEW), web.local(LL_OLD))
    assert _post_state(tl, before["id"]) == state
    assert tl.count("posts") == posts


def test_a_temporary_redirect_is_not_a_move(web: ReplayWeb, tmp_path: Path) -> None:
    tl = Timeline.open(web, tmp_path, ["labourlist.org"], fetch=FAST)
    assert tl.poll().exit_code == 0
    before = tl.post("/2014/11/nec-report-november-4th-2014/")
    _rename(web, LL_OLD, LL_NEW, 302)
    tl.step()
    kept = tl.one("select * from posts where id = ?", [before["id"]])
    assert kept["moved_from"] is None


def test_a_moved_post_stays_moved_when_the_listing_still_shows_the_old_url(
    web: ReplayWeb, tmp_path: Path
) -> None:
    """Every later read of the old URL (still listed) lands on the moved post: no flip back."""
    tl = Timeline.open(web, tmp_path, ["labourlist.org"], fetch=FAST)
    tl.poll()
    before = tl.post("/2014/11/nec-report-november-4th-2014/")
    _rename(web, LL_OLD, LL_NEW, 301)
    assert tl.step() == []
    # the cursor forgotten: the whole listing is read again, the old URL fetched again
    tl.store.db.execute("delete from source_cursors")
    tl.store.db.conn.commit()
    with web.recording() as requests:
        assert tl.step() == []
    assert any(r.path == "/2014/11/nec-report-november-4th-2014/" for r in requests)  # read again
    moved = tl.one("select * from posts where id = ?", [before["id"]])
    assert (moved["url"], moved["moved_from"]) == (web.local(LL_NEW), web.local(LL_OLD))
    assert tl.count("posts", "url like ?", ["%/2014/11/%"]) == 1
