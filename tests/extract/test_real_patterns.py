"""Issue 21's patterns of real pages, each on one minimal page of our own (tests/fixtures/patterns/):
fallback always, FeedBurner's Atom, the post's own date with its time and offset, authors, body
boundaries and titles. Each test names the principle it checks."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

import necwatch.sources  # noqa: F401  (registers the platform markup readers)
from necwatch.errors import ParseError
from necwatch.extract.feeds import feed_date
from necwatch.extract.page import extract_post
from necwatch.inspection import inspect_target
from necwatch.sources.wordpress import parse_rss, parse_single_page

PATTERNS = Path(__file__).parent.parent / "fixtures" / "patterns"


def page(name: str) -> str:
    return (PATTERNS / name).read_text(encoding="utf-8")


# -- fallback always --------------------------------------------------------------------------------


def test_a_wordpress_page_whose_theme_matches_no_selector_falls_through_to_the_generic_layer() -> None:
    """Detected as WordPress (generator, /wp-content/), but neither the current-theme markup nor any
    older WordPress selector matches and the page carries no metadata: the generic layer answers
    (a long article text), instead of parse_empty."""
    post = parse_single_page(
        "https://membersfirst.example/2024/07/nec-report/", page("wordpress_unknown_theme.html")
    )
    assert post.title == "NEC report: July 2024"
    assert post.body_text.startswith("The National Executive Committee met on Tuesday 16 July")
    assert post.body_text.endswith("questions about anything in this report.")
    assert dict(post.extraction)["body"] == "generic:trafilatura"


def test_no_output_only_when_no_layer_finds_a_body_and_the_message_says_what_each_tried() -> None:
    html = (
        "<html><head><meta name='generator' content='WordPress 6.5'><title>Hello</title></head>"
        "<body><div class='hero'><p>Coming back soon with a new design.</p></div></body></html>"
    )
    with pytest.raises(ParseError) as raised:
        parse_single_page("https://blog.example/2024/07/report/", html)
    message = str(raised.value)
    assert "post body: no element matched .entry-content" in message  # the platform layer
    assert "metadata: no JSON-LD articleBody, h-entry e-content or itemprop=articleBody" in message
    assert "generic: trafilatura found" in message and "80 needed" in message


# -- FeedBurner-served Blogger Atom ------------------------------------------------------------------


def test_a_blogger_atom_feed_served_through_feedburner_is_read_as_atom() -> None:
    """ISO 8601 dates (not RFC 2822), offsets as written, and the post's own URL from
    feedburner:origLink rather than FeedBurner's redirector."""
    items = parse_rss("http://feeds.feedburner.com/MembersNotes", page("feedburner_blogger_atom.xml"))
    first, second = (item.post for item in items)
    assert first.url == "https://membersnotes.blogspot.com/2024/07/nec-report-july-2024.html"
    assert first.published_at == datetime.fromisoformat("2024-07-16T22:15:00.003+01:00")
    assert first.published_at is not None and first.published_at.utcoffset() is not None
    assert str(first.published_at.utcoffset()) == "1:00:00"
    assert items[0].comment_count == 3
    assert second.author == "Unknown"  # Blogger's name for a deleted profile, as the feed says


def test_inspect_reads_the_feedburner_atom_feed() -> None:
    result = inspect_target(page("feedburner_blogger_atom.xml"), "http://feeds.feedburner.com/MembersNotes")
    assert result.error is None
    assert [p["published_at"] for p in result.posts] == [
        "2024-07-16T22:15:00.003000+01:00",
        "2024-05-21T08:00:00.001000+01:00",
    ]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2024-07-16T22:15:00.003+01:00", "2024-07-16T22:15:00.003000+01:00"),
        ("Tue, 16 Jul 2024 21:15:00 +0000", "2024-07-16T21:15:00+00:00"),
        ("2024-07-16T21:15:00Z", "2024-07-16T21:15:00+00:00"),
    ],
)
def test_feed_dates_are_read_by_what_they_are(text: str, iso: str) -> None:
    assert feed_date(text).isoformat() == iso


# -- dates ------------------------------------------------------------------------------------------


def test_the_time_and_offset_metadata_states_are_kept_when_the_page_prints_a_day() -> None:
    post = extract_post(page("date_time_from_metadata.html"), "https://rednotes.example/nec-march/")
    assert post.published_at == datetime.fromisoformat("2023-03-28T19:40:00+01:00")
    assert isinstance(post.published_at, datetime) and str(post.published_at.utcoffset()) == "1:00:00"


def test_the_posts_visible_date_element_wins_over_the_heads_metadata() -> None:
    """`time.entry-date` says 11:25 -05:00 (what readers see); the head's plugins say 16:25 -05:00
    (the UTC time labelled local)."""
    post = extract_post(page("date_visible_over_head.html"), "https://ablog.example/report/", "other")
    assert post.published_at == datetime.fromisoformat("2018-09-10T11:25:36-05:00")
    assert post.extraction["published"] == "time"


def test_a_later_republication_date_in_metadata_is_not_the_posts_date() -> None:
    post = extract_post(page("date_republished.html"), "https://medium.example/@alex/why-1a2b")
    assert post.published_at == datetime.fromisoformat("2015-10-15T02:19:15.607+00:00")


def test_no_date_from_a_teaser_of_another_post() -> None:
    post = extract_post(page("date_teaser_not_the_post.html"), "https://notes.example/june/")
    assert post.published_at == date(2022, 6, 21)


def test_a_local_time_without_an_offset_is_read_in_the_sources_zone() -> None:
    post = extract_post(
        page("date_local_time_in_zone.html"), "https://vorstand.example/bericht/", tz="Europe/Berlin"
    )
    assert post.published_at == datetime.fromisoformat("2020-04-28T21:11:00+02:00")


# -- authors ----------------------------------------------------------------------------------------


def test_a_byline_in_another_language() -> None:
    post = extract_post(
        page("date_local_time_in_zone.html"), "https://vorstand.example/bericht/", tz="Europe/Berlin"
    )
    assert post.author == "Jana Beispiel"


def test_a_theme_author_box_with_a_user_name() -> None:
    post = extract_post(page("author_box.html"), "https://rmb.example/conference/")
    assert post.author == "rmb8090"


def test_json_ld_author_array_in_a_cdata_block() -> None:
    post = extract_post(page("author_jsonld_array.html"), "https://joint.example/nec/")
    assert post.author == "Ann Able, Ben Baker"
    assert post.published_at == datetime.fromisoformat("2021-11-30T18:00:00+00:00")


def test_meta_author_beats_a_site_headers_rel_author_link() -> None:
    post = extract_post(page("author_meta_and_rel.html"), "https://panel.example/notes/")
    assert post.author == "Chris Member"


def test_admin_is_kept_when_the_page_shows_it() -> None:
    post = extract_post(page("author_rel_only.html"), "https://budget.example/nec/")
    assert post.author == "admin"


# -- body boundaries ---------------------------------------------------------------------------------


def test_body_without_repeated_title_subtitle_captions_related_print_share_and_tags() -> None:
    post = extract_post(page("body_boundaries.html"), "https://sel.example/nec/")
    text = post.body_text or ""
    assert text.startswith("The NEC took three decisions")
    assert "Three decisions and what they mean" not in text
    assert "Southside" not in text  # the photo caption
    assert "Printed from" not in text  # print-only copy
    assert "NEC notes for May" not in text and "Share on Facebook" not in text and "Tags:" not in text
    assert text.endswith("NEC procedural guidelines, 2023.")  # the reference list is the article's


# -- titles -----------------------------------------------------------------------------------------


def test_site_suffixes_come_off_by_name_and_a_title_keeps_its_own_dash() -> None:
    post = extract_post(page("title_site_suffix.html"), "https://medium.example/left-notes/re-selection-1a2b")
    assert post.title == "Re-selection - what the NEC decided"


def test_a_widget_heading_is_not_the_title_when_the_page_says_otherwise() -> None:
    post = extract_post(page("title_widget_heading.html"), "https://paradigm.example/2019/05/statement/")
    assert post.title == "NEC statement on the by-election"


# -- any language, any CMS ---------------------------------------------------------------------------


def test_unspaced_script_counts_as_long_enough_and_a_placeholder_date_is_not_the_date() -> None:
    """A Chinese article has few spaces: its length is counted in characters too. JSON-LD's
    "0001-01-01T00:00:00Z" is a CMS's empty date: the page's other date answers."""
    post = extract_post(page("unspaced_language_and_placeholder_date.html"), "https://zh.example/nec/")
    assert post.title == "执行委员会会议报告"
    assert (post.body_text or "").startswith("全国执行委员会今天开会")
    assert post.published_at == date(2019, 1, 15)


def test_the_pages_own_main_heading_wins_over_a_stale_og_title_and_an_embed_is_no_date_claim() -> None:
    """A CMS that serves another post's og:title: the page's `<h1>` is what readers see. An
    embedded post's `time` (an Instagram card) is not a claim about this post's date."""
    post = extract_post(page("title_heading_over_stale_og.html"), "https://trend-notes.example/rule-book/")
    assert post.title == "Why the NEC changed the rule book"
    assert post.published_at == datetime.fromisoformat("2019-05-21T14:42:53+02:00")
