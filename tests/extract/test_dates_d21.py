"""Issue 21, dates pass 2: the post's own published date, with its time and offset when the page
states them, chosen by principle (extract/pubdate.py). One minimal page of our own per markup
pattern in tests/extract/fixtures/dates/; each test names the rule it checks."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import necwatch.sources  # noqa: F401  (registers the platform markup readers)
from necwatch.extract.dates import date_order, parse_words, split_zone
from necwatch.extract.page import extract_post
from necwatch.sources.wordpress.comments import parse_html_comments

DATES = Path(__file__).parent / "fixtures" / "dates"
LONDON = ZoneInfo("Europe/London")


def published(name: str, tz: str = "Europe/London") -> datetime | date | None:
    html = (DATES / name).read_text(encoding="utf-8")
    return extract_post(html, f"https://members.example/{name}", None, tz=tz).published_at


def offset(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# -- zones the page states ----------------------------------------------------------------------------


def test_a_visible_time_with_its_zone_wins_over_the_attribute_written_in_the_servers_zone() -> None:
    """`datetime="…02:00:02-0500"` printed as "07.00 GMT": the same instant, and the page's own
    statement is GMT, so the offset is the printed zone's (seconds kept from the attribute)."""
    value = published("visible_zone.html")
    assert value == datetime(2019, 1, 3, 7, 0, 2, tzinfo=offset(0))
    assert isinstance(value, datetime) and value.utcoffset() == timedelta(0)


def test_a_zone_abbreviation_is_read_as_its_offset_not_as_utc() -> None:
    """ "November 19, 2019, 07:47 PM EST" in `article:published_time`: EST is -05:00 (dateparser's
    table of the tz database's abbreviations), not the source's zone and not UTC."""
    value = published("zone_abbreviation.html")
    assert isinstance(value, datetime)
    assert (value.isoformat()) == "2019-11-19T19:47:00-05:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thu 3 Jan 2019 07.00 GMT", "2019-01-03T07:00:00+00:00"),
        ("3 January 2019, 08:15 BST", "2019-01-03T08:15:00+01:00"),
        ("Tuesday 5 May 2020 10:00 CEST", "2020-05-05T10:00:00+02:00"),
        ("5. Mai 2020, 10:00 MEZ", "2020-05-05T10:00:00+01:00"),
        ("Nov 19, 2019, 10:31 pm CST", "2019-11-19T22:31:00-06:00"),
        ("March 9, 2015 8:00 am PDT", "2015-03-09T08:00:00-07:00"),
        ("Fri Oct 31 10:49:51 EDT 2014", "2014-10-31T10:49:51-04:00"),
        ("Mon, 18 Nov 2019 16:07:38 -0600", "2019-11-18T16:07:38-06:00"),
    ],
)
def test_printed_zones_in_words(text: str, expected: str) -> None:
    value = parse_words(text, LONDON)
    assert isinstance(value, datetime) and value.isoformat() == expected


def test_no_zone_is_found_in_ordinary_words() -> None:
    """Abbreviations are matched case-sensitively and only in a text that states a time."""
    assert split_zone("August 8, 2018 at 3:17 pm") == ("August 8, 2018 at 3:17 pm", None)
    assert split_zone("mardi 5 juin 2018 à 10:05") == ("mardi 5 juin 2018 à 10:05", None)
    assert split_zone("Monday 5 MAY 2019") == ("Monday 5 MAY 2019", None)  # no time: no zone read
    assert parse_words("3 January 2019 at 10:05", LONDON) == datetime(2019, 1, 3, 10, 5, tzinfo=LONDON)


# -- times the page does not state ---------------------------------------------------------------------


def test_contradicting_metadata_times_leave_the_day_only() -> None:
    """`05:00:04+00:00` in the meta and `10:00:04+00:00` in JSON-LD for the same post: one is a local
    time labelled UTC, and the page prints no time of its own (the comment's `itemprop=datePublished`
    is the comment's): the day, no invented time."""
    assert published("metadata_contradicts.html") == date(2018, 8, 8)


def test_the_same_wall_time_labelled_utc_beside_a_zoned_one_takes_the_zone() -> None:
    """`15:40:14+02:00` and `15:40:14+00:00` for a page that prints "14. Mai 2014": the plugin wrote
    the local time with a UTC label; the claim that states a zone is the page's time."""
    value = published("metadata_utc_label.html")
    assert isinstance(value, datetime) and value.isoformat() == "2014-05-14T15:40:14+02:00"


def test_contradicting_metadata_is_settled_by_the_dateline_printed_by_the_heading() -> None:
    """JSON-LD `04:31:13-06:00` against meta `04:31:13+00:00`; the dateline under the heading prints
    "Nov 19, 2019, 10:31 pm CST": what readers see decides, in the zone it prints."""
    value = published("contradiction_dateline.html")
    assert isinstance(value, datetime) and value.isoformat() == "2019-11-19T22:31:00-06:00"


def test_a_day_padded_to_midnight_is_a_day() -> None:
    assert published("midnight_padded.html") == date(2018, 12, 22)


def test_a_webpage_stamp_gives_the_articles_day_its_time() -> None:
    """Yoast's graph dates the WebPage `2018-09-15T10:15:48+02:00`; the theme's Article says only
    `2018-09-15`: the same day, so the stamp's time and offset are the post's."""
    value = published("webpage_stamp.html")
    assert isinstance(value, datetime) and value.isoformat() == "2018-09-15T10:15:48+02:00"


# -- numeric dates in the page's locale ----------------------------------------------------------------


def test_a_numeric_date_is_read_month_first_on_an_american_page() -> None:
    value = published("numeric_en-US.html")
    assert isinstance(value, datetime) and value.replace(tzinfo=None) == datetime(2015, 3, 9, 8, 0)


def test_a_numeric_date_is_read_day_first_on_a_british_page() -> None:
    value = published("numeric_en-GB.html")
    assert isinstance(value, datetime) and value.replace(tzinfo=None) == datetime(2015, 9, 3, 8, 0)


@pytest.mark.parametrize(
    ("locale", "order"),
    [("en-US", "MDY"), ("en_US", "MDY"), ("en-GB", "DMY"), ("en", "DMY"), ("de-DE", "DMY"), (None, "DMY")],
)
def test_date_order_of_a_locale(locale: str | None, order: str) -> None:
    assert date_order(locale) == order


def test_a_date_without_a_printed_year_is_not_read() -> None:
    """ "10:08 am Fri": dateparser would take this year's date (and another one next run)."""
    with pytest.raises(ValueError):
        parse_words("10:08 am Fri", LONDON)


# -- re-publications, teasers, and pages without a date ------------------------------------------------


def test_the_earliest_published_claim_wins_over_a_later_one() -> None:
    """`itemprop=datePublished` says 2016-05-08 (the modified date), a `time` prints a December
    re-publication, `article:published_time` says 2015-09-17: published, not modified or
    re-published."""
    value = published("republished_metadata.html")
    assert isinstance(value, datetime) and value.isoformat() == "2015-09-17T16:57:43+01:00"


def test_an_element_whose_title_is_the_stamp_of_its_printed_date() -> None:
    """`<li title="2015-03-13T21:00:00+11:00">March 13, 2015 9:00PM</li>`: the visible date with its
    machine form; the head's "EST" (a server's Australian zone, -05:00 in the table) and the related
    story's date are not the post's."""
    value = published("title_stamp.html")
    assert isinstance(value, datetime) and value.isoformat() == "2015-03-13T21:00:00+11:00"


def test_a_dateline_in_words_next_to_the_heading() -> None:
    """No date markup at all; "publiziert am 30. Juli 2018" beside the heading is the post's day
    (not "01.01.2019" from the article's text)."""
    assert published("dateline_words.html") == date(2018, 7, 30)


def test_no_date_a_reader_can_see_gives_none() -> None:
    """A date inside the article's text is not the post's date."""
    assert published("no_date.html") is None


def test_a_comments_day_only_datetime_does_not_fail_the_page() -> None:
    """A theme's `<time datetime="2020-12-24">` on a comment: the day, at local midnight in the
    source's zone, not "date has no offset" failing the whole page."""
    html = (
        '<ol class="comment-list"><li class="comment" id="comment-7"><article class="comment-body">'
        '<footer class="comment-meta"><time datetime="2020-12-24">December 24, 2020</time></footer>'
        '<div class="comment-content"><p>Thanks for the report.</p></div></article></li></ol>'
    )
    comments = parse_html_comments("https://members.example/nec/", html, "America/New_York")
    assert [c.published_at for c in comments] == [datetime(2020, 12, 24, tzinfo=ZoneInfo("America/New_York"))]


def test_a_printed_local_time_is_read_in_the_sources_zone() -> None:
    """A time printed without a zone stays the source's (`timezone:`), here New York in March."""
    value = published("numeric_en-US.html", tz="America/New_York")
    assert isinstance(value, datetime) and value.isoformat() == "2015-03-09T08:00:00-04:00"


def test_a_placeholder_date_claims_nothing_and_the_printed_dateline_answers() -> None:
    """JSON-LD `0001-01-01T00:00:00Z` is a CMS's empty date; the line by the heading prints
    "Published 11:11 PM EST Nov 19, 2019" (the "Updated" line below is the modified date)."""
    value = published("placeholder_dateline.html")
    assert isinstance(value, datetime) and value.isoformat() == "2019-11-19T23:11:00-05:00"


def test_wordpress_current_theme_date_in_the_zone_its_date_element_prints() -> None:
    """A current theme's `span.entry-date.published` prints "November 19, 2019, 6:21 AM EST" (no
    `time` element); the head says `11:21:08+00:00`: the same instant, in the page's zone."""
    from necwatch.sources.wordpress import parse_single_page

    html = (DATES / "wordpress_printed_zone.html").read_text(encoding="utf-8")
    post = parse_single_page("https://members.example/2019/11/nec-report/", html)
    assert post.published_at is not None
    assert post.published_at.isoformat() == "2019-11-19T06:21:08-05:00"


def test_a_generic_zone_name_in_summer_leaves_the_attribute() -> None:
    """ "12:04AM ET" in July is EDT (-04:00), but the table's ET is -05:00: the printed time is then
    another instant than `datetime`, so the attribute's stamp stands rather than an hour's error."""
    value = published("summer_generic_zone.html")
    assert isinstance(value, datetime) and value.isoformat() == "2019-07-19T04:04:02+00:00"
