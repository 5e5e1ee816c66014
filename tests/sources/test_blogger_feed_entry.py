"""Blogger's Atom and JSON entries go through the one feed-entry mapping (`entry_post`) by its rules."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from necwatch.errors import ParseError
from necwatch.extract.feeds import FeedFields
from necwatch.sources.blogger.feed import BLOGGER_RULES, parse_feed_atom, parse_feed_json
from necwatch.sources.feed import entry_post

FEED = "https://jo-nec.blogspot.com/feeds/posts/default"
BODY = "<p>The NEC met on Tuesday.</p><p>The post NEC report appeared first on my notebook.</p>"


def _atom(published: str, author: str = "Unknown") -> str:
    return (
        "<feed xmlns='http://www.w3.org/2005/Atom' xmlns:thr='http://purl.org/syndication/thread/1.0'>"
        "<entry><id>tag:blogger.com,1999:blog-1.post-4242</id>"
        f"<published>{published}</published><updated>2024-01-25T09:00:00.000Z</updated>"
        "<category scheme='http://www.blogger.com/atom/ns#' term='NEC'/>"
        "<category scheme='http://www.blogger.com/atom/ns#' term='Labour'/>"
        "<title type='text'>NEC  report:\u00a0January</title>"
        f"<content type='html'>{BODY.replace('<', '&lt;').replace('>', '&gt;')}</content>"
        "<link rel='alternate' type='text/html' href='https://jo-nec.blogspot.com/2024/01/nec.html'/>"
        f"<author><name>{author}</name></author><thr:total>3</thr:total></entry></feed>"
    )


def _json(published: str) -> str:
    entry = {
        "id": {"$t": "tag:blogger.com,1999:blog-1.post-4242"},
        "published": {"$t": published},
        "title": {"$t": "NEC report"},
        "content": {"$t": BODY},
        "link": [
            {"rel": "alternate", "type": "text/html", "href": "https://jo-nec.blogspot.com/2024/01/nec.html"}
        ],
        "author": [{"name": {"$t": "Jo Bloggs"}}],
    }
    return json.dumps({"feed": {"entry": [entry]}})


def test_atom_entry_by_blogger_rules() -> None:
    [entry] = parse_feed_atom(
        FEED, _atom("2024-01-24T21:30:00.000+00:00"), default_author="Jo Bloggs"
    ).entries
    post = entry.post
    assert post is not None and entry.comment_count == 3 and entry.platform_id == "4242"
    assert post.platform_id == "4242" and post.via == "feed"
    assert post.title == "NEC report: January" and post.title_raw == "NEC  report:\u00a0January"
    assert post.author == "Jo Bloggs"  # "Unknown" is Blogger's placeholder: the source's author applies
    assert post.labels == ("NEC", "Labour")  # in feed order
    assert post.body_text.endswith("appeared first on my notebook.")  # a Blogger post's own words, kept whole
    assert post.published_at == datetime.fromisoformat("2024-01-24T21:30:00+00:00")


def test_json_entry_by_the_same_mapping() -> None:
    [entry] = parse_feed_json(FEED, _json("2024-01-24T21:30:00.000+01:00")).entries
    assert entry.post is not None and entry.post.via == "json" and entry.post.author == "Jo Bloggs"
    assert entry.post.published_at is not None and entry.post.published_at.utcoffset() is not None
    assert str(entry.post.published_at.utcoffset()) == "1:00:00"  # the offset as written


def test_a_bad_or_out_of_range_date_sends_the_entry_to_its_page() -> None:
    for bad in (
        "Wed, 24 Jan 2024 21:30:00 +0000",
        "24 January 2024",
        "2024-01-24T21:30:00",
        "0001-01-01T00:00:00+01:00",
    ):
        [entry] = parse_feed_atom(FEED, _atom(bad)).entries
        assert entry.post is None and entry.url == "https://jo-nec.blogspot.com/2024/01/nec.html", bad
        [entry] = parse_feed_json(FEED, _json(bad)).entries
        assert entry.post is None, bad


def test_generic_rules_read_what_blogger_rules_refuse() -> None:
    fields = FeedFields(
        link="https://jo-nec.blogspot.com/2024/01/nec.html",
        title="NEC report",
        content=BODY,
        published="Wed, 24 Jan 2024 21:30:00 +0000",
        labels=(),
        guid="tag:blogger.com,1999:blog-1.post-4242",
        author="Unknown",
        comment_count=None,
        comments_feed=None,
        full_content=True,
    )
    generic = entry_post(fields, ZoneInfo("Europe/London"))
    assert generic.published_at is not None and generic.author == "Unknown"
    assert "appeared first" not in generic.body_text
    with pytest.raises(ParseError, match="bad published date") as e:
        entry_post(fields, ZoneInfo("Europe/London"), rules=BLOGGER_RULES, url=FEED)
    assert e.value.kind == "feed_unparseable"


# -- "Unknown" and "admin": bylines as shown --------------------------------------------------------
# Blogger prints "Unknown" for a profile with no name, WordPress "admin" for a site's first account:
# both are what the feed or page shows, so both are kept; only a source whose config names its
# `author:` puts that name in place of Blogger's placeholder, and then on every path alike (feed,
# classic page, any other template), so a post read both ways never seems to change author.
POST_URL = "https://jo-nec.blogspot.com/2024/01/nec.html"
CLASSIC = (
    "<html><head><title>Jo's NEC notes: NEC report</title></head><body><div id='main'>"
    "<h2 class='date-header'>Wednesday, January 24, 2024</h2>"
    "<div class='post'><a name='4242'></a><h3 class='post-title'>NEC report</h3>"
    "<div class='post-body'><p>The NEC met on Tuesday.</p></div>"
    f"<p class='post-footer'>posted by {{author}} @ <a href='{POST_URL}' title='permanent link'>9:30 PM</a>"
    "</p></div></div></body></html>"
)
CONTEMPO = (
    "<!doctype html><html><head><meta name='generator' content='Blogger'><title>NEC report</title>"
    "</head><body><main><div class='post'><h3 class='post-title entry-title'>NEC report</h3>"
    "<div class='post-body entry-content'><p>The NEC met on Tuesday.</p><p>More to follow.</p></div>"
    "<div class='post-footer'><span class='post-author vcard'>Posted by "
    "<span class='fn'>{author}</span></span> <a class='timestamp-link' href='" + POST_URL + "'>"
    "<abbr class='published' title='2024-01-24T21:30:00Z'>21:30</abbr></a></div></div></main></body></html>"
)


@pytest.mark.parametrize(("configured", "expected"), [(None, "Unknown"), ("Jo Bloggs", "Jo Bloggs")])
def test_blogger_unknown_is_kept_unless_the_source_names_its_author(
    configured: str | None, expected: str
) -> None:
    from necwatch.sources.blogger import parse_post_page

    [atom] = parse_feed_atom(FEED, _atom("2024-01-24T21:30:00.000+00:00"), default_author=configured).entries
    assert atom.post is not None and atom.post.author == expected
    classic, _ = parse_post_page(POST_URL, CLASSIC.format(author="Unknown"), default_author=configured)
    assert classic.via == "html" and classic.author == expected
    contempo, _ = parse_post_page(POST_URL, CONTEMPO.format(author="Unknown"), default_author=configured)
    assert contempo.author == expected


def test_a_real_name_on_the_page_or_feed_wins_over_the_configured_author() -> None:
    from necwatch.sources.blogger import parse_post_page

    [atom] = parse_feed_atom(
        FEED, _atom("2024-01-24T21:30:00.000+00:00", "Sam Guest"), default_author="Jo"
    ).entries
    assert atom.post is not None and atom.post.author == "Sam Guest"
    classic, _ = parse_post_page(POST_URL, CLASSIC.format(author="Sam Guest"), default_author="Jo")
    assert classic.author == "Sam Guest"
    nobody, _ = parse_post_page(POST_URL, CLASSIC.format(author=" "), default_author="Jo")
    assert nobody.author == "Jo"  # no byline at all: the configured author


def test_wordpress_admin_is_a_real_author() -> None:
    fields = FeedFields(
        link="https://member.example.org/2024/01/nec-report/",
        title="NEC report",
        content="<p>The NEC met on Tuesday.</p>",
        published="Wed, 24 Jan 2024 21:30:00 +0000",
        labels=(),
        guid="https://member.example.org/?p=12",
        author="admin",
        comment_count=None,
        comments_feed=None,
        full_content=True,
    )
    assert entry_post(fields, ZoneInfo("Europe/London"), "Jo Member").author == "admin"
