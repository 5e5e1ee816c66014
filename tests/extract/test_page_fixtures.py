"""Layered extraction on minimal pages reproducing each supported markup pattern (written for these
tests, no third-party text): one per template family, per date language and per comment shape."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import necwatch.sources  # noqa: F401  (registers the platform markup readers)
from necwatch.cli import cli
from necwatch.errors import ParseError
from necwatch.extract.dates import parse_words
from necwatch.extract.page import extract_post
from necwatch.extract.text import clean_name, strip_bidi
from necwatch.sources.blogger import parse_post_page
from necwatch.sources.wordpress import parse_html_comments, parse_single_page

FIXTURES = Path(__file__).parent / "fixtures"


def page(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def inspect_json(name: str, url: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["inspect", str(FIXTURES / name), "--url", url, "--json", *args])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}


def test_blogger_layout_era_german_page() -> None:
    post, comments = parse_post_page(
        "https://ein.blogspot.com/2020/04/nec.html", page("blogger_layout_de.html")
    )
    assert post.title == "NEC-Bericht April 2020" and post.title_raw == "NEC-Bericht April\u00a02020"
    assert post.author == "Jana Beispiel"  # "Eingestellt von" dropped, U+202E stripped
    assert post.published_at == datetime.fromisoformat("2020-04-28T21:11:00+02:00")
    assert post.labels == ("NEC", "Labour") and post.platform_id == "4711"
    assert post.body_text == "Erster Absatz des Berichts.\n\nLetzter Satz hier."
    assert dict(post.extraction)["body"] == "blogger"
    # the layouts era's classic list (dt.comment-author, dd.comment-footer), read since issue 21
    assert comments is not None
    assert [(c.platform_id, c.author, c.published_at) for c in comments] == [
        ("101", "Max", datetime.fromisoformat("2020-04-28T22:00:00+01:00"))
    ]


def test_blogger_contempo_threaded_comments_and_unknown_author() -> None:
    post, comments = parse_post_page("https://member.blogspot.com/x.html", page("blogger_contempo.html"))
    assert post.url == "https://member.blogspot.com/2024/01/nec-report-january.html"
    assert post.author == "Unknown"  # Blogger's name for a deleted profile is what the page says
    assert post.published_at == datetime.fromisoformat("2024-01-24T13:37:00+00:00")
    assert post.body_text.startswith("The NEC met on 23 January.") and post.body_text.endswith(
        "That was the meeting."
    )
    assert post.labels == ("NEC",)
    assert comments is not None
    assert [(c.platform_id, c.author, c.parent_id) for c in comments] == [
        ("555", "Ann Reader", None),
        ("556", "Anonymous", "555"),
    ]
    assert comments[0].published_at is not None and comments[0].published_at.hour == 14


def test_blogger_custom_template_french_date_header() -> None:
    post, comments = parse_post_page(
        "https://mon.blogspot.com/2018/06/cr.html", page("blogger_custom_fr.html"), "Europe/Paris"
    )
    assert post.title == "Compte rendu du NEC"
    assert post.author == "Marie Dupont"
    assert post.published_at == datetime.fromisoformat("2018-06-05T10:05:00+02:00")
    assert post.body_text == "Premier paragraphe du compte rendu.\nDernier mot du compte rendu."  # <br><br>
    assert comments is None  # no comment block: unknown, not "none"


def test_wordpress_old_theme_pingbacks_do_not_fail_the_comments() -> None:
    url = "https://oldtheme.wordpress.com/2019/06/20/nec-report/"
    post = parse_single_page(url, page("wordpress_old_theme.html"))
    assert post.title == "NEC report, June 2019"
    assert post.author == "Ed Example"  # "View all posts by" dropped
    assert post.published_at is not None and post.published_at.date() == date(2019, 6, 20)
    assert post.body_text == "First paragraph of the report.\n\nFinal words of the report."  # no share box
    assert dict(post.extraction)["body"] == "wordpress"
    comments = parse_html_comments(url, page("wordpress_old_theme.html"))
    assert [(c.platform_id, c.author, c.body_text) for c in comments] == [("11", "Annie", "Useful, thanks.")]


def test_custom_theme_json_ld_graph_and_generic_body() -> None:
    post = parse_single_page("https://custom.example/2019/03/report/", page("wordpress_custom_jsonld.html"))
    methods = dict(post.extraction)
    assert post.title == "Report on the March meeting"  # the page's heading, not "… – Custom Site"
    assert post.author == "Pat Member" and methods["author"] == "json-ld"  # via the graph's @id
    assert post.published_at == datetime.fromisoformat("2019-03-27T20:14:09+00:00")
    assert methods["body"] == "generic:trafilatura"
    assert post.body_text.startswith("The National Executive Committee met on Tuesday")
    assert "Recent posts" not in post.body_text and "Home" not in post.body_text


def test_h_entry_on_another_platform_keeps_a_day_only_date() -> None:
    extracted = extract_post(page("hentry_other.html"), "https://static.example/nec/")
    assert extracted.platform == "other"
    assert extracted.title == "NEC notes, 14 January 2020" and extracted.author == "Sam Writer"
    assert extracted.published_at == date(2020, 1, 14)  # a day, not an invented midnight
    assert extracted.extraction["body"] == "microformats"


def test_a_page_without_a_body_fails_loudly_naming_stage_and_field() -> None:
    with pytest.raises(ParseError, match=r"post body: .*; metadata: none; generic: none"):
        parse_single_page(
            "https://x.example/p/",
            page("no_body.html").replace("<head>", "<head><meta name=generator content='WordPress 6.0'>"),
        )


def test_a_redesigned_platform_page_is_not_read_as_a_post() -> None:
    """No post markup, no post metadata: the generic layer is not asked (it would invent a post
    from "We have a new look!" and raise a false edit alert)."""
    redesigned = (
        "<html><head><meta name='generator' content='WordPress 6.4'><title>Welcome</title></head><body>"
        "<div class='new-theme'><section class='hero'><p>We have a new look, come and see it!</p></section>"
        "</div></body></html>"
    )
    with pytest.raises(ParseError, match="post body"):
        parse_single_page("https://blog.example/2019/03/report/", redesigned)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dienstag, 28. April 2020", date(2020, 4, 28)),
        ("mardi 5 juin 2018", date(2018, 6, 5)),
        ("28 de abril de 2020", date(2020, 4, 28)),
        ("mardi 5 juin 2018 à 10:05", datetime.fromisoformat("2018-06-05T10:05:00+02:00")),
        ("Wednesday, January 24, 2024", date(2024, 1, 24)),
        ("14.03.2019", date(2019, 3, 14)),
    ],
)
def test_dates_in_words_in_other_languages(text: str, expected: date) -> None:
    assert parse_words(text, "Europe/Paris") == expected


@pytest.mark.parametrize(
    ("byline", "name"),
    [
        ("View all posts by Daniel Lemire", "Daniel Lemire"),
        ("Posted by Luke Akehurst at 10:37", "Luke Akehurst"),
        ("Publié par Marie", "Marie"),
        ("Eingestellt von Unknown", "Unknown"),
        ("von der Leyen", "von der Leyen"),
        ("Da Silva", "Da Silva"),
    ],
)
def test_byline_words_are_not_part_of_the_name(byline: str, name: str) -> None:
    assert clean_name(byline) == name


def test_bidi_controls_are_stripped() -> None:
    assert strip_bidi("a\u202eb\u2066c\u2069d\u202a") == "abcd"


def test_inspect_json_object_and_exit_codes() -> None:
    code, out = inspect_json(
        "blogger_contempo.html", "https://member.blogspot.com/2024/01/nec-report-january.html"
    )
    assert code == 0
    assert set(out) == {"target", "platform", "kind", "posts", "warnings"}
    assert (out["platform"], out["kind"]) == ("blogger", "post")
    post = out["posts"][0]
    assert post["published_at"] == "2024-01-24T13:37:00+00:00" and post["comment_count"] == 2
    assert post["comments"][1] == {
        "author": "Anonymous",
        "published_at": "2024-01-25T09:00:00+00:00",
        "body_text": "Agreed.",
        "parent_id": "555",
    }
    assert post["extraction"]["title"] == "blogger"
    code, out = inspect_json("hentry_other.html", "https://static.example/nec/")
    assert code == 0 and out["posts"][0]["published_at"] == "2020-01-14"
    code, out = inspect_json("no_body.html", "https://static.example/none/")
    assert code == 1 and out["posts"] == [] and "post body" in out["error"]
    usage = CliRunner().invoke(cli, ["inspect", "/no/such/file.html"])
    assert usage.exit_code == 2
