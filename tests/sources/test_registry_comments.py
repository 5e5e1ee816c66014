"""Comment lists the platform readers used to miss, one minimal fixture of our own per pattern
(tests/fixtures/registry/): Blogger threaded replies (in the page and in the thread's script data),
Blogger's layouts-era classic list, Blogger comments rendered by script only (Dynamic Views), and
WordPress themes that list comments as `div.comment`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from necwatch.extract.page import extract_post
from necwatch.sources.blogger import parse_post_page
from necwatch.sources.wordpress import parse_html_comments

FIXTURES = Path(__file__).parent.parent / "fixtures" / "registry"
LONDON = ZoneInfo("Europe/London")


def page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def test_blogger_threaded_replies_are_all_counted_with_their_parents() -> None:
    """Replies rendered in `.comment-replies` and those only in the thread's `var items` data; a
    printed time without a day ("09:50") is the permalink's exact showComment instant, never today."""
    _, comments = parse_post_page(
        "https://example-member.blogspot.com/2024/05/x.html", page("blogger-threaded.html")
    )
    assert comments is not None
    assert [(c.platform_id, c.parent_id, c.author, c.published_at, c.body_text) for c in comments] == [
        ("7001", None, "A Reader", at("2024-05-21T22:30:00+01:00"), "Thanks for the report."),
        ("7002", "7001", "Anonymous", at("2024-05-22T09:50:00+01:00"), "Was the vote recorded?"),
        ("7003", "7001", "Example Member", at("2024-05-22T11:05:00+01:00"), "Yes, 22 to 12."),
        ("7004", None, "Another Reader", at("2024-05-22T18:20:00+01:00"), "Good meeting."),
    ]
    assert comments[0].author_url == "https://www.blogger.com/profile/11"
    assert comments[2].url is not None and comments[2].url.endswith("#c7003")


def test_blogger_layouts_era_classic_list() -> None:
    _, comments = parse_post_page(
        "https://example-member.blogspot.com/2011/06/x.html", page("blogger-classic-layout.html")
    )
    assert comments is not None
    assert [(c.platform_id, c.author, c.author_url, c.published_at, c.body_text) for c in comments] == [
        ("3001", "Anonymous", None, at("2011-06-21T22:00:00+01:00"), "Who moved the amendment?"),
        (
            "3002",
            "Example Member",
            "https://www.blogger.com/profile/1",
            at("2011-06-22T08:05:00+01:00"),
            "The General Secretary.\n\nIt was carried.",
        ),
    ]


def test_blogger_comments_rendered_by_script_are_unknown_not_none() -> None:
    """The page says 5 comments but holds none a reader sees without its script: unknown (None), so
    no stored comment is ever taken for removed."""
    url = "https://example-member.blogspot.com/2015/07/x.html"
    post, comments = parse_post_page(url, page("blogger-comments-by-script.html"))
    assert post.title == "NEC report, July 2015"
    assert comments is None
    assert extract_post(page("blogger-comments-by-script.html"), url, None).comments is None


def test_wordpress_div_comments_with_replies() -> None:
    url = "https://member.example.org/2023/09/nec-report/"
    comments = parse_html_comments(url, page("wp-div-comments.html"), LONDON)
    assert [(c.platform_id, c.parent_id, c.author, c.published_at, c.body_text) for c in comments] == [
        ("51", None, "A Reader", at("2023-09-27T07:15:00+01:00"), "Were the rule changes agreed?"),
        ("52", "51", "Example Member", at("2023-09-27T09:30:00+01:00"), "They go to conference next week."),
        ("53", None, "Third Reader", at("2023-09-28T18:00:00+01:00"), "Thank you."),
    ]
    assert comments[0].author_url == "https://reader.example.net/"
    extracted = extract_post(page("wp-div-comments.html"), url, None)
    assert extracted.platform == "wordpress"
    assert extracted.comments is not None and len(extracted.comments) == 3
