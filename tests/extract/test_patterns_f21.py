"""Issue 21, pass 3: bylines and title suffixes on real-page patterns, each on one minimal page of our
own (tests/fixtures/patterns/). Each test names the principle it checks, in any template."""

from __future__ import annotations

from pathlib import Path

import necwatch.sources  # noqa: F401  (registers the platform markup readers)
from necwatch.extract.page import extract_post
from necwatch.extract.text import clean_name
from necwatch.extract.titles import strip_site_name
from necwatch.sources.blogger.classic import parse_post_page

PATTERNS = Path(__file__).parent.parent / "fixtures" / "patterns"


def page(name: str) -> str:
    return (PATTERNS / name).read_text(encoding="utf-8")


# -- authors ----------------------------------------------------------------------------------------


def test_a_byline_of_only_its_wording_reads_the_names_in_its_links() -> None:
    """`By <a>Ann Able</a> and <a>Ben Baker</a>`: two authors, joined as JSON-LD lists are."""
    post = extract_post(page("author_by_word_only.html"), "https://news.example/2024/nec-report/")
    assert post.author == "Ann Able, Ben Baker"


def test_the_word_by_alone_is_never_an_author() -> None:
    assert clean_name("By") is None
    assert clean_name("Posted by") is None
    html = page("author_by_word_only.html").replace(
        '<div class="byline">By <a href="/people/ann-able">Ann Able</a> and '
        '<a href="/people/ben-baker">Ben Baker</a></div>',
        '<div class="byline">By</div>',
    )
    assert "Ann Able" not in html
    assert extract_post(html, "https://news.example/2024/nec-report/").author is None


def test_a_date_glued_after_the_name_comes_off() -> None:
    post = extract_post(page("author_date_after_name.html"), "https://gazette.example/2023/nec/")
    assert post.author == "Laura E. Adkins"
    assert clean_name("Jane Roe September 10, 2011") == "Jane Roe"
    assert clean_name("Jane Roe 28 December 2012") == "Jane Roe"
    assert clean_name("Jane Roe Sept. 10") == "Jane Roe"
    # a month that is a name stays: no day beside it
    assert clean_name("Theresa May") == "Theresa May"
    assert clean_name("April Jones") == "April Jones"


def test_a_bylines_furniture_is_never_a_name() -> None:
    furnitures = ("View Author Page", "Author Page", "View all posts", "About the author", "See All Articles")
    for furniture in (*furnitures, "Subscribe to RSS"):
        assert clean_name(furniture) is None, furniture
    assert clean_name("View all posts by Jane Roe") == "Jane Roe"
    assert clean_name("Staff") == "Staff"  # a house byline is what the page shows


def test_posted_date_by_name_gives_the_name() -> None:
    assert clean_name("Posted 24th March 2015 by Unknown") == "Unknown"
    assert clean_name("Posted on March 24, 2015 by Jane Roe") == "Jane Roe"


def test_bloggers_unknown_is_kept_as_shown() -> None:
    """Dynamic Views (saved after its script ran): "Posted 24th March 2015 by Unknown"."""
    html = page("blogger_unknown_byline.html")
    url = "https://wardlabour.blogspot.com/2015/03/nec-report-march.html"
    post = extract_post(html, url)
    assert (post.platform, post.author) == ("blogger", "Unknown")
    assert parse_post_page(url, html)[0].author == "Unknown"
    # "Posted on <date> by Unknown" was cut at " on " and lost the name
    dated = html.replace("Posted <span", "Posted on <span")
    assert extract_post(dated, url).author == "Unknown"
    # the source's `author:` stands in for Blogger's placeholder only (docs/sources.md)
    assert parse_post_page(url, html, default_author="Jo Bloggs")[0].author == "Jo Bloggs"


# -- titles -----------------------------------------------------------------------------------------


def test_a_domain_suffix_that_is_the_sites_own_comes_off() -> None:
    """ "A Day to Remember | townhall.example": the site's domain, read also from og:url when the
    page is read at another address (a capture)."""
    html = page("title_site_domain_suffix.html")
    own = "https://www.townhall.example/articles/a-day-to-remember/"
    assert extract_post(html, own).title == "A Day to Remember"
    capture = "https://web.archive.org/web/2017/" + own
    assert extract_post(html, capture).title == "A Day to Remember"


def test_the_site_name_and_its_tagline_after_it_come_off() -> None:
    post = extract_post(page("title_site_name_then_tagline.html"), "https://postlight.example/insights/t")
    assert post.title == "Three Ways to Be the Thermostat"


def test_a_site_name_after_a_bar_comes_off() -> None:
    post = extract_post(page("title_site_name_after_bar.html"), "https://chronicle.example/p/paradox")
    assert post.title == "The Paradox of Effort"


def test_a_suffix_that_is_not_the_sites_name_stays() -> None:
    post = extract_post(page("title_suffix_not_the_site.html"), "https://left.example/2023/nec/")
    assert post.title == "NEC report | Disputes — and what the panel decided"
    names = {"examplechronicle"}
    assert strip_site_name("Minutes — Example Chronicle — Tagline", names) == "Minutes"
    kept = "Minutes — The Example Chronicle's view — Tagline"  # mentions the site, is not its name
    assert strip_site_name(kept, names) == kept
    colon = "Minutes: the Example Chronicle's reporter on the day"  # ":" never leads a tagline
    assert strip_site_name(colon + " — Tagline", names) == colon + " — Tagline"
