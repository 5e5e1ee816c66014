"""Comment lists on real templates, pass 2 (issue 21): one minimal fixture of our own per markup pattern
(tests/extract/fixtures/comments/), each read through the platform reader and through `extract_post`.

Blogger: the threaded list when a re-serialized copy moves threads out of `#comments`; Dynamic Views'
rendered blocks (`li#bc_…` with `div.comment-block#cID`); the thread's `var items` data as a
JavaScript literal; the classic `dl#comments-block`. WordPress: `comment_class()` items in a list of
any name, `style => div` with `div.children`, custom callbacks whose id is on an inner `article`, a
second (the first empty) list, and replies nested three deep in `ul.children`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from necwatch.extract.page import extract_post
from necwatch.extract.select import parse_html
from necwatch.models import Comment
from necwatch.sources.blogger import parse_post_page
from necwatch.sources.blogger.threaded import js_literal
from necwatch.sources.wordpress import page_comments, parse_html_comments

FIXTURES = Path(__file__).parent / "fixtures" / "comments"
LONDON = ZoneInfo("Europe/London")
BERLIN = ZoneInfo("Europe/Berlin")


def page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def rows(comments: tuple[Comment, ...] | list[Comment] | None) -> list[tuple[object, ...]]:
    assert comments is not None
    return [(c.platform_id, c.parent_id, c.author, c.published_at, c.body_text) for c in comments]


# -- Blogger -----------------------------------------------------------------------------------------

MARCH = "https://example-member.blogspot.com/2024/03/nec-report-march-2024.html"


def test_blogger_threads_outside_the_comment_block_and_their_replies_are_all_counted() -> None:
    """A copy whose tags close `#comments` after the first thread: the second thread (and its reply)
    is still read, parents come from the thread ids (`ol#c1004-ra`), the deleted placeholder is left
    out (5 stated, 4 real), and times are the permalinks' instants: the blog prints Pacific time
    ("March 26, 2024 at 7:40 PM"), which read as London time would be seven hours off."""
    _, comments = parse_post_page(MARCH, page("blogger-threaded-misnested.html"), LONDON)
    assert rows(comments) == [
        (
            "1001",
            None,
            "A Reader",
            at("2024-03-27T02:40:11+00:00"),
            "Was the timetable for the selections agreed?\n\nThank you for the report.",
        ),
        (
            "1002",
            "1001",
            "Example Member",
            at("2024-03-27T09:05:42+00:00"),
            "Yes, it goes to the regions next month.",
        ),
        ("1004", None, "Anonymous", at("2024-03-27T19:20:00+00:00"), "Who moved the rule change?"),
        (
            "1005",
            "1004",
            "Another Reader",
            at("2024-03-28T07:45:30+00:00"),
            "The trade union section, I believe.",
        ),
    ]
    assert comments is not None
    assert comments[0].author_url == "https://www.blogger.com/profile/101"
    assert comments[3].url == f"{MARCH}?showComment=1711611930000#c1005"
    extracted = extract_post(page("blogger-threaded-misnested.html"), MARCH, None)
    assert extracted.platform == "blogger"
    assert rows(extracted.comments) == rows(comments)


def test_blogger_comment_times_are_instants_shown_in_the_source_zone() -> None:
    """The same comments read for a source whose `timezone:` is Berlin: the same instants."""
    _, london = parse_post_page(MARCH, page("blogger-threaded-misnested.html"), LONDON)
    _, berlin = parse_post_page(MARCH, page("blogger-threaded-misnested.html"), BERLIN)
    assert london is not None and berlin is not None
    assert [c.published_at for c in berlin] == [c.published_at for c in london]
    assert (
        berlin[0].published_at is not None
        and berlin[0].published_at.isoformat() == "2024-03-27T03:40:11+01:00"
    )


def test_blogger_dynamic_views_rendered_comments() -> None:
    url = "https://example-member.blogspot.com/2013/06/nec-report-june-2013.html"
    extracted = extract_post(page("blogger-dynamic-views.html"), url, None)
    assert extracted.platform == "blogger"
    assert rows(extracted.comments) == [
        (
            "2001",
            None,
            "A Reader",
            at("2013-06-25T22:10:00+00:00"),
            "When does the policy review report back?",
        ),
        ("2003", "2001", "Example Member", at("2013-06-26T08:30:00+00:00"), "At conference in September."),
        ("2004", None, "Unknown", at("2013-06-26T15:00:00+00:00"), "Good to see the minutes."),
    ]
    _, comments = parse_post_page(url, page("blogger-dynamic-views.html"), LONDON)
    assert rows(comments) == rows(extracted.comments)


def test_blogger_dynamic_views_before_its_script_ran_is_unknown() -> None:
    """The page as served: the count bubble says 4, the list is empty until the script runs."""
    html = page("blogger-dynamic-views.html")
    start = html.index('<div class="comments-content">')
    end = html.index('<div class="comments-footer">')
    served = html[:start] + '<div class="comments-content"></div></div>' + html[end:]
    url = "https://example-member.blogspot.com/2013/06/nec-report-june-2013.html"
    assert extract_post(served, url, None).comments is None


def test_blogger_thread_data_as_a_javascript_literal() -> None:
    """Older templates write the thread's data with single quotes and octal escapes (`\\46#39;`,
    `\\74br /\\76`); the list itself is rendered by script only."""
    url = "https://example-member.blogspot.com/2011/10/nec-report-october-2011.html"
    _, comments = parse_post_page(url, page("blogger-thread-script-data.html"), LONDON)
    assert rows(comments) == [
        (
            "3001",
            None,
            "A Reader",
            at("2011-10-27T12:39:42+00:00"),
            "It's good to see Refounding Labour move on.\n\nWill members get a vote?",
        ),
        ("3002", "3001", "Example Member", at("2011-10-27T12:44:05+00:00"), "Yes & no: conference decides."),
    ]
    assert comments is not None
    assert comments[0].author_url == "https://www.blogger.com/profile/301"
    assert comments[0].url == f"{url}?showComment=1319719182000#c3001"


def test_blogger_classic_comment_list() -> None:
    """`dl#comments-block`: two comments, "Post a Comment" and "<< Home" are not comments."""
    url = "https://example-member.blogspot.com/2011/06/nec-report-21-june-2011.html"
    _, comments = parse_post_page(url, page("blogger-classic-list.html"), LONDON)
    assert rows(comments) == [
        (
            "5501",
            None,
            "Anonymous",
            at("2011-06-21T23:00:00+01:00"),
            "Who moved the amendment on the timetable?",
        ),
        (
            "5502",
            None,
            "Example Member",
            at("2011-06-22T08:05:00+01:00"),
            "The trade union section.\n\nIt was carried.",
        ),
    ]
    assert rows(extract_post(page("blogger-classic-list.html"), url, None).comments) == rows(comments)


@pytest.mark.parametrize(
    ("code", "value"),
    [
        (
            "[{'a': 'It\\46#39;s', b: \"\\x26\\u00e9\\ud83d\\ude00\", 'c': [1, -2.5, true, null,],}]",
            [{"a": "It&#39;s", "b": "&é😀", "c": [1, -2.5, True, None]}],
        ),
        (
            "['\\74br /\\76', 'don\\'t', '\\0', '\\u{1F600}', 'a\\\nb']",
            ["<br />", "don't", "\x00", "😀", "ab"],
        ),
        ("[]", []),
    ],
)
def test_js_literal_reads_the_values_blogger_writes(code: str, value: object) -> None:
    assert js_literal(code, 0) == (value, len(code))


@pytest.mark.parametrize(
    "code", ["[items.concat(x)]", "['open", "[1 2]", "{'a' 1}", "[" * 40 + "]" * 40, "['a\nb']"]
)
def test_js_literal_refuses_what_is_not_a_literal(code: str) -> None:
    with pytest.raises(ValueError):
        js_literal(code, 0)


# -- WordPress ---------------------------------------------------------------------------------------


def test_wordpress_div_comments_in_a_list_of_any_name() -> None:
    """`style => div` in a theme's own `div.commentList`: `li-comment-ID` items with the comment's
    box `article#comment-ID`, a reply in `div.children`, a pingback left out."""
    url = "https://member.example.org/2024/01/nec-report-january-2024/"
    comments = parse_html_comments(url, page("wp-div-comments-custom-list.html"), LONDON)
    assert rows(comments) == [
        ("811", None, "A Reader", at("2024-01-31T08:15:00+00:00"), "How many seats are left to select?"),
        (
            "812",
            "811",
            "Example Member",
            at("2024-01-31T09:40:00+00:00"),
            "About forty, most of them in the spring.",
        ),
        ("814", None, "Third Reader", at("2024-02-01T18:00:00+00:00"), "Thanks for reporting back."),
    ]
    assert comments[0].author_url == "https://reader.example.net/"
    assert comments[1].url == f"{url}#comment-812"
    extracted = extract_post(page("wp-div-comments-custom-list.html"), url, None)
    assert extracted.platform == "wordpress"
    assert rows(extracted.comments) == rows(comments)


def test_wordpress_replies_nested_in_children_lists_and_custom_callbacks() -> None:
    """An empty first `ol.commentlist`, then the list: replies three deep in `ul.children`, and a
    theme's callback whose `li.comment` has no id (it is on the inner `article`) and whose time is a
    day (`datetime="2021-03-27"`) printed with its hour. Printed times are read in the source's zone."""
    url = "https://member.example.org/2021/03/nec-report/"
    comments = parse_html_comments(url, page("wp-nested-children.html"), BERLIN)
    assert rows(comments) == [
        ("901", None, "A Reader", at("2021-03-25T21:15:00+01:00"), "Were the candidates' rules changed?"),
        ("902", "901", "Example Member", at("2021-03-25T22:00:00+01:00"), "Only the timetable."),
        ("903", "902", "A Reader", at("2021-03-26T07:05:00+01:00"), "Thanks, that is clear."),
        ("904", None, "Second Reader", at("2021-03-27T12:56:00+01:00"), "Will the minutes be published?"),
        (
            "905",
            "904",
            "Example Member",
            at("2021-03-27T14:02:00+01:00"),
            "After the next meeting approves them.",
        ),
    ]
    london = parse_html_comments(url, page("wp-nested-children.html"), LONDON)
    assert london[0].published_at == at("2021-03-25T21:15:00+00:00")
    extracted = extract_post(page("wp-nested-children.html"), url, None, tz=BERLIN)
    assert extracted.platform == "wordpress"
    assert rows(extracted.comments) == rows(comments)


def test_wordpress_comments_rendered_by_script_are_unknown_not_none() -> None:
    """A heading that states comments but no comment in the page (a plugin renders them): None; a
    comment area with no comment and no count: none, ()."""
    url = "https://member.example.org/2024/01/nec-report-january-2024/"
    html = page("wp-div-comments-custom-list.html")
    start = html.index('<div class="commentList"')
    end = html.index('<div id="respond"')
    by_script = html[:start] + '<div id="wpdiscuz-comments"></div>' + html[end:]
    assert page_comments(parse_html(by_script, url), url, LONDON) is None
    empty = by_script.replace("<span>4 Comments on</span>", "<span>Comments on</span>")
    assert page_comments(parse_html(empty, url), url, LONDON) == ()


def test_wordpress_date_that_is_no_date_leaves_the_comment() -> None:
    """`datetime="2019-11-5"` (not ISO): the printed time answers; the page is not failed."""
    url = "https://member.example.org/2021/03/nec-report/"
    html = page("wp-nested-children.html").replace(
        'datetime="2021-03-27T14:02:00+01:00"', 'datetime="2021-3-27"'
    )
    comments = parse_html_comments(url, html, BERLIN)
    assert comments[-1].platform_id == "905"
    assert comments[-1].published_at == datetime(2021, 3, 27, 13, 2, tzinfo=UTC)


def test_wordpress_comments_as_a_definition_list() -> None:
    """Themes that list comments as `dl`: `dt.comment#comment-ID` (author, time), then its `dd`
    (the text); the `dd` repeats the classes and is not a second comment."""
    url = "https://member.example.org/2015/07/nec-report-july-2015/"
    comments = parse_html_comments(url, page("wp-definition-list.html"), LONDON)
    assert rows(comments) == [
        ("3101", None, "A Reader", at("2015-07-22T08:25:00+01:00"), "How much is the supporters' fee?"),
        (
            "3102",
            None,
            "Example Member",
            at("2015-07-22T09:00:00+01:00"),
            "Three pounds.\n\nRegistration closes in August.",
        ),
    ]


def test_wordpress_wpdiscuz_comments() -> None:
    """The wpDiscuz plugin before version 7 prints its own items, `div.wc-comment#wc-comm-ID_PARENT`
    with the comment's box `div#comment-ID.wc-comment-right`, replies nested in their parent; its
    dates are relative ("3 years ago"): unknown, not the day the page was read."""
    url = "https://member.example.org/2019/11/nec-report/"
    comments = parse_html_comments(url, page("wp-wpdiscuz.html"), LONDON)
    assert rows(comments) == [
        ("6401", None, "A Reader", None, "When will the manifesto be agreed?"),
        ("6402", "6401", "Example Member", None, "At the Clause V meeting on Saturday."),
        (
            "6403",
            None,
            "Second Reader",
            None,
            "Thanks for the report.\n\nthe candidate selections still to be made\n\nHow many are left?",
        ),
    ]
    assert comments[1].author_url == "https://member.example.org/author/member/"
    assert rows(extract_post(page("wp-wpdiscuz.html"), url, None).comments) == rows(comments)


def test_wordpress_only_pingbacks_is_no_comments_not_unknown() -> None:
    """A list whose every item is a pingback, under a heading that counts them: none, ()."""
    url = "https://member.example.org/2024/01/nec-report-january-2024/"
    html = page("wp-div-comments-custom-list.html")
    first = html.index('<div class="comment even thread-even depth-1 parent"')
    ping = html.index('<div class="pingback')
    last = html.index('<div class="comment odd alt thread-even depth-1"')
    end = html.index('<div id="respond"')
    pings_only = html[:first] + html[ping:last] + "</div>" + html[end:]
    assert page_comments(parse_html(pings_only, url), url, LONDON) == ()
