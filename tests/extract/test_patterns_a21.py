"""Issue 21, pass 2: authors, body boundaries and titles on real-page patterns, each on one minimal
page of our own (tests/fixtures/patterns/). Each test names the principle it checks: what a page's
standards and metadata say (HTML's elements, schema.org, meta vocabularies), in any template."""

from __future__ import annotations

from pathlib import Path

import necwatch.sources  # noqa: F401  (registers the platform markup readers)
from necwatch.extract.metadata import name_shaped
from necwatch.extract.page import extract_post
from necwatch.extract.text import clean_name
from necwatch.extract.titles import strip_site_from_name
from necwatch.inspection import inspect_target

PATTERNS = Path(__file__).parent.parent / "fixtures" / "patterns"


def page(name: str) -> str:
    return (PATTERNS / name).read_text(encoding="utf-8")


# -- authors ----------------------------------------------------------------------------------------


def test_a_preposition_with_a_colon_is_a_label_in_any_language() -> None:
    assert clean_name("by: Laurie Oakes") == "Laurie Oakes"
    assert clean_name("von: Jana Beispiel") == "Jana Beispiel"
    assert clean_name("Par : Marie Dupont") == "Marie Dupont"
    assert clean_name("von der Leyen") == "von der Leyen"  # a particle without a colon stays
    post = extract_post(page("author_by_colon.html"), "https://chronicle.example/opinion/minutes/")
    assert post.author == "Dana Fairweather"


def test_the_site_after_the_authors_name_comes_off() -> None:
    """meta author "Sam Okafor. The Example Chronicle", og:site_name "The Example Chronicle"."""
    post = extract_post(page("author_site_after_name.html"), "https://chronicle.example/july/")
    assert post.author == "Sam Okafor"
    names = {"examplechronicle"}
    assert strip_site_from_name("Ann Able, Ben Baker", names) == "Ann Able, Ben Baker"
    assert strip_site_from_name("Ann Able | Example Chronicle", names) == "Ann Able"
    assert strip_site_from_name("Jean-Paul Roe", names) == "Jean-Paul Roe"


def test_the_visible_byline_beats_metadata_that_adds_the_site_to_it() -> None:
    post = extract_post(page("author_meta_with_visible_byline.html"), "https://intl.example/rule-book/")
    assert post.author == "Lee Marsh"
    assert post.extraction["author"] == "rel-author"


def test_a_byline_as_a_plain_line_at_the_articles_start_is_the_author_and_not_the_body() -> None:
    post = extract_post(page("author_lead_paragraph.html"), "https://conf.example/news/timetable")
    assert post.author == "Scott Ashdown"
    assert (post.body_text or "").startswith("We got it wrong last year.")


def test_an_element_whose_class_names_the_author_holds_a_name_shaped_byline() -> None:
    """`div.article__author` ("By Priya Castellano"), not the author box's "About the author"."""
    post = extract_post(page("author_bem_class.html"), "https://lean.example/news/lean")
    assert post.author == "Priya Castellano"
    assert name_shaped("Ursula von der Leyen") and name_shaped("rmb8090") and name_shaped("admin")
    assert not name_shaped("About the author") and not name_shaped("More posts by")


def test_author_meta_vocabularies_of_news_cmss() -> None:
    """`meta name=authors` (with a trailing "|") and Parse.ly's `parsely-author`."""
    post = extract_post(page("author_meta_vocabularies.html"), "https://beast.example/articles/nod.html")
    assert post.author == "Bea Lattanzi"


def test_a_json_ld_webpages_author_by_reference() -> None:
    """Yoast's graph without an Article: the WebPage's `author` `@id` → the Person's name."""
    post = extract_post(page("author_webpage_jsonld.html"), "https://branch.example/new-secretary/")
    assert post.author == "Josh"


# -- titles -----------------------------------------------------------------------------------------


def test_the_visible_heading_text_is_kept_when_the_head_writes_the_same_title_in_other_quotes() -> None:
    """JSON-LD headline "It's", the page's `<h1>` "It’s": the same title (compared without
    punctuation); the heading's own text is what readers see. A widget's `<h1>` is not chosen."""
    post = extract_post(page("title_visible_quote_style.html"), "https://membersfirst.example/rule-changes/")
    assert post.title == "Rule changes: It’s why some motions never reach the floor"


# -- body boundaries --------------------------------------------------------------------------------


def test_a_platform_body_loses_signup_box_captions_asides_promos_and_author_cards() -> None:
    """WordPress's body container holds a newsletter form before the text, a photo caption, a pull
    quote (`aside`), a call-to-action box, an author card (`footer`), a "More in" list (`aside`)
    and the theme's author box; a quotation's own `footer` (its citation) is the text's. The
    caption stays: WordPress's API and feeds carry it in the post's content, and one post must read
    the same from its page (a capture, a single page) as from its feed (no false edit)."""
    post = extract_post(
        page("body_signup_author_box_aside.html"), "https://review.example/2019/11/rule-book/", "wordpress"
    )
    text = post.body_text or ""
    assert post.extraction["body"] == "wordpress"
    assert text.startswith("Members of the committee arrive for the July meeting. (Photo: Example Agency)")
    assert "\n\nTime is not on the general secretary's side." in text
    assert text.endswith("The general secretary, in March")
    for chrome in (
        "SIGN UP",
        "The review was promised for the spring.",
        "LEARN MORE",
        "supporters' club",
        "is a delegate to conference",
        "More in Conference",
        "Another story",
        "member of the party since 1990",
    ):
        assert chrome not in text


def test_other_posts_headlines_after_the_last_paragraph_are_not_the_body() -> None:
    """Two or more headings that are links, each with a short blurb, and their list's heading."""
    post = extract_post(
        page("body_teaser_headlines_after.html"), "https://chronicle.example/opinion/angry-members/"
    )
    text = post.body_text or ""
    assert text.endswith("DANA FAIRWEATHER IS A MEMBER OF THE NATIONAL EXECUTIVE COMMITTEE")
    assert "Other opinion columns" not in text and "lasting legacy" not in text


def test_a_list_of_the_sites_own_posts_goes_and_a_list_of_sources_stays() -> None:
    post = extract_post(page("body_related_link_list.html"), "https://branch.example/2019/09/season/")
    text = post.body_text or ""
    assert text.endswith("Procedural guidelines")  # links elsewhere: the post's sources
    assert "Editors' recommendations" not in text and "The accounts are in" not in text


def test_a_comment_dated_with_a_day_only_does_not_take_the_post_with_it() -> None:
    """A WordPress comment whose `datetime` has no time (it once failed the whole page): the post is
    read, and so is the comment, dated that day in the source's zone."""
    result = inspect_target(
        page("wordpress_unreadable_comment.html"),
        "https://nightly.example/2020/12/18/issue-85/",
        target="wordpress_unreadable_comment.html",
    )
    assert result.error is None
    post = result.posts[0]
    assert post["title"] == "These weeks on the committee: issue 85"
    assert post["author"] == "Mike Conroy"
    assert post["comment_count"] == 1
    assert [(c["author"], c["published_at"]) for c in post["comments"]] == [
        ("Ann", "2020-12-24T00:00:00+00:00")
    ]


def test_furniture_and_job_titles_are_not_names() -> None:
    furniture = ("Follow Author", "Submitted", "CH Contributor", "Last Updated: January 7", "About the")
    for text in furniture:
        assert not name_shaped(text)
    for link in ("→ Learn More", "Read the series ★", "© Example Media"):  # no name holds a symbol
        assert not name_shaped(link)
    for name in ("Shaan Puri & Ben Levy", "Ursula von der Leyen", "rmb8090", "Siân O’Neill"):
        assert name_shaped(name)


def test_analytics_meta_names_come_after_the_visible_byline() -> None:
    html = (
        "<html><head><title>Minutes</title><meta name='parsely-author' content='JO BLOGGS'>"
        "<meta property='og:type' content='article'></head><body><article><h1>Minutes</h1>"
        "<p class='byline'>By Jo Bloggs</p><div class='text'><p>"
        + "The committee met and agreed the minutes of the last meeting without amendment. " * 4
        + "</p></div></article></body></html>"
    )
    assert extract_post(html, "https://news.example/minutes/").author == "Jo Bloggs"


def test_a_heading_that_drops_the_heads_quotes_does_not_replace_the_title() -> None:
    """Only typography (' for ’) is folded: "'The Report' Is Out" and an `<h1>` without the
    quotes are not the same text, so the head's title is kept."""
    html = (
        "<html><head><title>'The Report' Is Out</title>"
        '<script type=\'application/ld+json\'>{"@type": "Article", "headline": "\'The Report\' Is Out"}'
        "</script></head><body><main><h1>The Report Is Out</h1><p>"
        + "The general secretary's report to the committee is out and it is long. " * 4
        + "</p></main></body></html>"
    )
    assert extract_post(html, "https://news.example/report/").title == "'The Report' Is Out"


def test_a_first_section_heading_that_the_description_repeats_stays() -> None:
    """Medium-style: the description is the post's first lines, so it repeats the first section
    heading; only a heading under the repeated title, or one marked as a subtitle, is a subtitle."""
    post = extract_post(page("body_first_heading_is_description.html"), "https://tech.example/profiling")
    assert (post.body_text or "").startswith("Why monitoring matters")


def test_a_container_whose_class_names_its_author_is_not_a_byline() -> None:
    """A CMS that classes the whole post `author-jane`: its first capitalised link is no author."""
    html = (
        "<html><head><title>Fashion and the party</title><meta property='og:type' content='article'></head>"
        "<body><article class='post author-jane'><h1>Fashion and the party</h1><p>"
        + "The conference arrangements committee spent an hour on the dress code for delegates. " * 3
        + "<a href='https://shop.example/clothes'>Mode</a> was the word of the day."
        + "</p></article></body></html>"
    )
    assert extract_post(html, "https://blog.example/fashion/").author is None


def test_a_site_named_by_its_domain_is_also_called_by_its_name() -> None:
    html = (
        "<html><head><title>Friday notes #282 - the NEC in sight | Factorio</title>"
        "<meta property='og:site_name' content='factorio.com'><meta property='og:type' content='article'>"
        "</head><body><div class='page'><p>"
        + "The committee meets on Tuesday and the agenda is long; here is what is on it and why. " * 3
        + "</p></div></body></html>"
    )
    assert extract_post(html, "https://games.example/blog/post/fff-282").title == (
        "Friday notes #282 - the NEC in sight"
    )


def test_a_byline_box_holding_a_link_with_an_arrow_gives_no_name() -> None:
    """A theme's byline box whose only link is a call to action ("→ Learn More"): not an author."""
    from necwatch.extract.metadata import looks_like_name

    assert not looks_like_name("→ Learn More") and not looks_like_name("© Example Media")
    assert looks_like_name("Shaan Puri & Ben Levy") and looks_like_name("da]v[ax")
