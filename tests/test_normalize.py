# ruff: noqa: E501  (tables of real titles and text: one case per line)
"""normalize: text, hash, authors, and NEC-report classification against the reference web."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

from necwatch.extract.text import collapse_ws, node_text
from necwatch.models import Post
from necwatch.normalize import (
    HASH_VERSION,
    Classification,
    canonical_author,
    classify,
    content_hash,
    meeting_date,
    meeting_kind,
    normalized_text,
    pointer_target,
    strip_tracking,
    title_hash,
)
from necwatch.replay import bundled_corpus

# A real paragraph (seed 000) with its curly quotes, en dash and a tracking-laden link.
REAL = (
    "David Evans began his report as General Secretary by showing us a new video commemorating "
    "100 years since the first Labour Government: https://x.com/LabourTraining/status/1749707717713813553?s=20"
    "\n\nIt’s the NEC’s work on the Forde Report – 154 of Forde’s 165 recommendations."
)

# --------------------------------------------------------------------------- normalized_text


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("Labour’s ‘away-day’", "Labour's 'away-day'"),
        ("“responsible capitalism”", '"responsible capitalism"'),
        ("„low‟ «quote» ‚single‛", '"low" "quote" \'single\''),
        ("5′ 10″", "5' 10\""),
        ("NEC Report – 23 January 2024", "NEC Report - 23 January 2024"),
        ("a—b―c‒d−e‐f‑g", "a-b-c-d-e-f-g"),
        ("and more…", "and more..."),
        ("Jan\u00a0uary\u00a0\u00a0 2020", "Jan uary 2020"),
        ("zero\u200bwidth\u200d join\ufeff\u00adsoft", "zerowidth joinsoft"),
        ("·\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 Roll-out", "· Roll-out"),
        ("  para one\n\n\npara\ttwo  ", "para one para two"),
        ("ﬁnances ＮＥＣ", "finances NEC"),  # NFKC: ligature, full-width
        ("Keep Case: NEC nec", "Keep Case: NEC nec"),
    ],
)
def test_normalized_text_folds_noise(raw: str, want: str) -> None:
    assert normalized_text(raw) == want


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("https://labourlist.org/2014/11/x/?utm_source=tw&utm_medium=social", "https://labourlist.org/2014/11/x/"),
        ("https://a.org/p?id=7&fbclid=IwAR0abc&gclid=xyz", "https://a.org/p?id=7"),
        ("https://a.org/p?mc_cid=1&mc_eid=2&page=2", "https://a.org/p?page=2"),
        ("https://x.com/LabourTraining/status/1749707717713813553?s=20", "https://x.com/LabourTraining/status/1749707717713813553"),
        ("https://aliceperry.wordpress.com/?s=baby+leave", "https://aliceperry.wordpress.com/?s=baby+leave"),
        ("https://a.org/p#more-4402", "https://a.org/p#more-4402"),
    ],
)  # fmt: skip
def test_strip_tracking(url: str, want: str) -> None:
    assert strip_tracking(url) == want


def test_tracking_params_stripped_inside_text_keeping_punctuation() -> None:
    text = "See https://events.labour.org.uk/?utm_source=nec&utm_campaign=x. Then (https://a.org/p?gclid=1)."
    assert normalized_text(text) == "See https://events.labour.org.uk/. Then (https://a.org/p)."


# --------------------------------------------------------------------------- hashes


def test_content_hash_is_versioned_sha256() -> None:
    h = content_hash(REAL)
    assert h.startswith(f"{HASH_VERSION}:") and HASH_VERSION == "v1"
    assert len(h.split(":", 1)[1]) == 64


@pytest.mark.parametrize(
    "noisy",
    [
        REAL.replace(" ", "  "),
        REAL.replace("\n\n", " "),
        REAL.replace("’", "'"),
        REAL.replace(" – ", " - "),
        REAL.replace(" – ", " — "),
        REAL.replace("General Secretary", "General\u00a0Secretary"),
        REAL.replace("Forde", "For\u200bde"),
        REAL.replace("?s=20", "?s=20&utm_source=twitter"),
        REAL.replace("?s=20", ""),
        "\n  " + REAL + "\n\n",
    ],
)
def test_content_hash_ignores_noise(noisy: str) -> None:
    assert content_hash(noisy) == content_hash(REAL)


@pytest.mark.parametrize(
    "edited",
    [
        REAL.replace("154 of", "155 of"),
        REAL.replace("new video", "short video"),
        REAL.replace("Labour Government", "labour government"),  # case is the author's edit
        REAL + "\n\nUpdate: the video is now on YouTube.",
        REAL.replace("status/1749707717713813553", "status/1749707717713813554"),
    ],
)
def test_content_hash_changes_on_real_edits(edited: str) -> None:
    assert content_hash(edited) != content_hash(REAL)


def test_title_hash_separate_from_content_hash() -> None:
    assert title_hash("NEC Report – 23 January 2024") == title_hash("NEC Report - 23 January\u00a02024")
    assert title_hash("NEC Report – 23 January 2024") != title_hash("NEC Report – 24 January 2024")
    assert title_hash("x") == content_hash("x")  # one definition, two inputs


# --------------------------------------------------------------------------- authors

ALIASES = {"Luke Akehurst": ["L. Akehurst", "lukeakehurst"], "Alice Perry": ["Cllr Alice Perry"]}


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("Luke Akehurst", "Luke Akehurst"),
        ("  luke   AKEHURST ", "Luke Akehurst"),
        ("By Luke Akehurst", "Luke Akehurst"),
        ("posted by Luke Akehurst @ 1:37 pm", "Luke Akehurst"),
        ("L. Akehurst", "Luke Akehurst"),
        ("l akehurst", "Luke Akehurst"),
        ("lukeakehurst", "Luke Akehurst"),
        ("Cllr Alice Perry", "Alice Perry"),
        ("Councillor Alice Perry", "Alice Perry"),
        ("Alice\u00a0Perry said...", "Alice Perry"),
        ("Johanna Baxter", "Johanna Baxter"),  # unknown: cleaned, as written
        ("by: Johanna Baxter", "Johanna Baxter"),
        ("Angela Eagle MP", "Angela Eagle"),
        ("Anonymous said...", "Anonymous"),
        ("", "Default Name"),
        ("   ", "Default Name"),
        (None, "Default Name"),
        ("By ", "Default Name"),
        ("Byron Taylor", "Byron Taylor"),
    ],
)
def test_canonical_author(name: str | None, want: str) -> None:
    assert canonical_author(name, ALIASES, "Default Name") == want


def test_canonical_author_without_config() -> None:
    assert canonical_author("Cllr Alice Perry", {}, None) == "Alice Perry"
    assert canonical_author("", {}, None) is None


# --------------------------------------------------------------------------- the reference web

_BODY = {
    "lukeakehurst.blogspot.com": ("div.post-body", ()),
    "aliceperry.wordpress.com": ("div.entry-content", ("#jp-post-flair",)),
    "labourlist.org": ("div.entry-content", ()),
    "www.progressonline.org.uk": ("div.entry-content", ("div.progress-appeal", "div.printfriendly")),
}


@cache
def _reference() -> tuple[list[dict[str, Any]], dict[str, Post]]:
    """Every expected.json post, and a Post built from its page (body via extract.text)."""
    root: Path = bundled_corpus()
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))["posts"]
    files = {e["url"]: e["file"] for e in json.loads((root / "manifest.json").read_text(encoding="utf-8"))}
    posts = {}
    for p in expected:
        tree = LexborHTMLParser((root / files[p["url"]]).read_text(encoding="utf-8"))
        selector, remove = _BODY[p["source_host"]]
        node = tree.css_first(selector)
        assert node is not None
        for sel in remove:
            for n in node.css(sel):
                n.decompose()
        posts[p["url"]] = Post(
            url=p["url"],
            title=p.get("title_raw") or p["title"],
            body_html=node.html or "",
            body_text=node_text(node),
            author=p["author"],
            published_at=datetime.fromisoformat(p["published"]),
            labels=tuple(p["labels"]),
        )
    return expected, posts


EXPECTED, POSTS = _reference()
# Not derivable from the corpus: the title says only "January 2020" and the body gives no date
# (expected.json's day comes from outside knowledge). We return the month; see docs/normalization.md.
UNDERIVABLE_DATES = {
    "https://aliceperry.wordpress.com/2020/01/30/nec-away-day-report-january-2020/": "2020-01"
}


def test_reference_bodies_are_the_expected_text() -> None:
    import hashlib

    for p in EXPECTED:
        body = collapse_ws(POSTS[p["url"]].body_text)
        assert hashlib.sha256(body.encode()).hexdigest() == p["body_sha256"], p["url"]


@pytest.mark.parametrize("exp", EXPECTED, ids=lambda p: p["url"].split("/", 2)[2][:70])
def test_classify_reference_post(exp: dict[str, Any]) -> None:
    c = classify(POSTS[exp["url"]])
    assert isinstance(c, Classification)
    assert c.is_nec_report is exp["is_nec_report"], c.reason
    assert c.meeting_kind == exp["meeting_kind"]
    assert c.pointer_to == exp.get("pointer_to")
    assert c.is_pointer is (exp.get("pointer_to") is not None)
    assert c.meeting_date == UNDERIVABLE_DATES.get(exp["url"], exp["meeting_date"])
    if exp["url"] in UNDERIVABLE_DATES:
        assert exp["meeting_date"].startswith(c.meeting_date or "-")


@pytest.mark.xfail(strict=True, reason="2020-01-28 appears nowhere in the post (title: month only)")
def test_away_day_2020_exact_day_is_not_in_the_text() -> None:
    url = next(iter(UNDERIVABLE_DATES))
    assert classify(POSTS[url]).meeting_date == "2020-01-28"


def test_reference_reasons() -> None:
    reasons = {u: classify(p).reason for u, p in POSTS.items()}
    assert reasons["https://lukeakehurst.blogspot.com/2011/11/nec-report.html"] == "pointer"
    assert (
        reasons["https://labourlist.org/2016/08/explainer-how-nec-members-are-elected/"]
        == "title:not-a-report"
    )
    assert reasons["https://lukeakehurst.blogspot.com/2023/03/voter-id.html"] == "no-evidence"
    assert reasons["https://lukeakehurst.blogspot.com/2024/01/nec-report-23-january-2024.html"] == "title"


def test_reference_reports_without_labels_still_found() -> None:
    """A report is never missed for lacking a label: strip every label and classify again."""
    for exp in EXPECTED:
        post = POSTS[exp["url"]]
        c = classify(Post(**{**post.__dict__, "labels": ()}))
        assert c.is_nec_report is exp["is_nec_report"], exp["url"]


# --------------------------------------------------------------------------- classify: rules


def _post(
    title: str,
    body: str,
    labels: tuple[str, ...] = (),
    published: str = "2024-01-24T13:37:00+00:00",
    url: str = "https://lukeakehurst.blogspot.com/2024/01/x.html",
    html: str = "",
) -> Post:
    return Post(
        url=url,
        title=title,
        body_html=html,
        body_text=body,
        published_at=datetime.fromisoformat(published),
        labels=labels,
    )


MEETING = "The NEC met on Tuesday 23 January and began with obituaries for Derek Draper and Glenys Kinnock."
CHAT = "Some thoughts on the byelections in Kingswood and Wellingborough and what they mean for Labour."


@pytest.mark.parametrize(
    ("title", "body", "labels", "match", "is_report", "reason"),
    [
        ("NEC Report – 23 January 2024", MEETING, (), None, True, "title"),
        ("Labour NEC report: January 2024", CHAT, (), None, True, "title"),
        ("NEC Away-day Report – January 2020", CHAT, (), None, True, "title"),
        ("Labour NEC Sub-Committees Report – July 2017", CHAT, (), None, True, "title"),
        ("Report from Labour's NEC", CHAT, (), None, True, "title"),
        ("Report back from the NEC", CHAT, (), None, True, "title"),
        ("Labour NEC – 23 January 2024", CHAT, (), None, True, "title:nec+date"),
        ("Tuesday's meeting", MEETING, ("NEC",), None, True, "label:NEC+body"),
        ("Tuesday's meeting", MEETING, ("Labour NEC",), None, True, "label:Labour NEC+body"),
        ("Byelections", CHAT, ("NEC",), None, False, "label-only"),  # a label alone is not proof
        ("Byelections", CHAT, ("Elections",), None, False, "no-evidence"),
        ("Byelections", CHAT, ("NEC reports",), "nec reports", True, "match:label:NEC reports"),
        ("Notes from the executive", CHAT, (), r"notes from the exec", True, "match:title"),
        ("Explainer: how NEC members are elected", MEETING, ("NEC",), "NEC", False, "title:not-a-report"),
        ("What happens at an NEC away day?", MEETING, ("NEC",), None, False, "title:not-a-report"),
        ("Explainer: where to find NEC members’ reports", CHAT, ("NEC",), None, False, "title:not-a-report"),
        ("NEC members' reports: a round-up", CHAT, (), None, False, "no-evidence"),
    ],
)
def test_classify_rules(
    title: str, body: str, labels: tuple[str, ...], match: str | None, is_report: bool, reason: str
) -> None:
    c = classify(_post(title, body, labels), match)
    assert (c.is_nec_report, c.reason) == (is_report, reason)
    if not is_report:
        assert c.meeting_date is None and c.meeting_kind is None


@pytest.mark.parametrize(
    ("body", "html", "want"),
    [
        (
            "My NEC report is on LabourList: https://labourlist.org/2014/11/nec-report/?utm_source=blog",
            "",
            "https://labourlist.org/2014/11/nec-report/",
        ),
        ("You can read my report of Tuesday's meeting here.", '<p>Read it <a href="https://www.progressonline.org.uk/2011/11/03/nec-report-november-2011/">here</a>.</p>', "https://www.progressonline.org.uk/2011/11/03/nec-report-november-2011/"),
        ("https://labourlist.org/2014/11/nec-report/", "", "https://labourlist.org/2014/11/nec-report/"),
        ("See the photo.", '<a href="https://x.org/photo.jpg">photo</a>', None),  # not a page
        ("Permalink: https://lukeakehurst.blogspot.com/2024/01/x.html", "", None),  # itself
        (MEETING + " " + CHAT * 4 + " https://labourlist.org/", "", None),  # too long: a report
        (MEETING, "", None),  # no link
    ],
)  # fmt: skip
def test_pointer_target(body: str, html: str, want: str | None) -> None:
    post = _post("NEC Report", body, ("NEC",), html=html)
    assert pointer_target(post) == want
    c = classify(post)
    assert c.is_pointer is (want is not None)
    assert c.is_nec_report is (want is None)


def test_pointer_needs_an_nec_candidate() -> None:
    """A short link post that is not about the NEC is just a post, not a pointer."""
    c = classify(_post("Good read", "Worth reading: https://labourlist.org/2023/06/x/"))
    assert (c.is_pointer, c.pointer_to, c.is_nec_report) == (False, None, False)


# --------------------------------------------------------------------------- meeting date


@pytest.mark.parametrize(
    ("title", "body", "published", "want"),
    [
        ("NEC Report – 23 January 2024", CHAT, date(2024, 1, 24), "2024-01-23"),
        ("NEC Report – November 4th, 2014", CHAT, date(2014, 11, 10), "2014-11-04"),
        ("NEC Report – Tuesday 4th November 2014", CHAT, date(2014, 11, 10), "2014-11-04"),
        ("NEC report, 23/01/2024", CHAT, date(2024, 1, 24), "2024-01-23"),
        ("NEC report 2024-01-23", CHAT, date(2024, 1, 24), "2024-01-23"),
        ("Labour NEC Report – 17 September", CHAT, date(2019, 9, 19), "2019-09-17"),
        # a date without a year is the latest one not after publication
        ("NEC Report – 16 December", CHAT, date(2024, 1, 3), "2023-12-16"),
        ("NEC Report – December", CHAT, date(2024, 1, 3), "2023-12"),
        ("Labour NEC Report – March 2019", "The March NEC meeting discussed a range of issues.", date(2019, 3, 27), "2019-03"),
        # a month in the title made exact by a body meeting date in that month
        ("NEC report – November 2011", "The National Executive Committee met for its away day (actually a misnomer as we only went as far ‘away’ as the downstairs media centre at party HQ) on 1 November.", date(2011, 11, 3), "2011-11-01"),
        # ... but not by a date in another month
        ("Labour NEC Sub-Committees Report – July 2017", "The full NEC met for the first time since 8th June.", date(2017, 7, 6), "2017-07"),
        ("NEC Report", "Sub-committees of Labour’s national executive committee (NEC) met on January 14th to discuss a range of issues.", date(2020, 1, 16), "2020-01-14"),
        ("NEC Report: Clause 5 Manifesto Meeting", "The Clause Five meeting to agree the 2017 General Election Manifesto took place on 11 May. There was intense media interest.", date(2017, 5, 12), "2017-05-11"),
        ("NEC Report", "The NEC meeting on the 23rd of January began with obituaries.", date(2024, 1, 24), "2024-01-23"),
        # dates after publication or long before it are not this meeting
        ("NEC Report", "We must win on 15 February in Kingswood. The meeting on 15 February will decide.", date(2024, 1, 24), "2024-01"),
        ("NEC Report", "As agreed at the meeting on 3 June, the NEC will review this.", date(2024, 1, 24), "2024-01"),
        ("NEC Report", "The March NEC was rather livelier than the previous one in January.", date(2023, 3, 30), "2023-03"),
        # the year in "2019 election defeat" is not a meeting date; fall back to the publication month
        ("NEC Report: Special meeting on 2019 election defeat and lessons for the future", "2019 seems like a very long time ago.", date(2020, 9, 10), "2020-09"),
        ("NEC Report", "the committee may meet again", None, None),
        ("NEC Report – 23 January 2024", CHAT, None, "2024-01-23"),
        ("NEC Report – 23 January", CHAT, None, None),
        ("NEC Report – 31 February 2024", CHAT, date(2024, 3, 1), "2024-02"),  # no such day: the month stands
    ],
)  # fmt: skip
def test_meeting_date(title: str, body: str, published: date | None, want: str | None) -> None:
    assert meeting_date(title, body, published) == want


def test_meeting_date_uses_post_publication_date() -> None:
    post = _post("NEC Report – 16 December", CHAT, published="2024-01-03T09:00:00+00:00")
    assert classify(post).meeting_date == "2023-12-16"
    undated = Post(url="https://a.org/x", title="NEC Report – 16 December", body_html="", body_text=CHAT)
    assert classify(undated).meeting_date is None
    updated_only = Post(**{**undated.__dict__, "updated_at": datetime(2024, 1, 3, tzinfo=UTC)})
    assert classify(updated_only).meeting_date == "2023-12-16"


# --------------------------------------------------------------------------- meeting kind


@pytest.mark.parametrize(
    ("title", "body", "want"),
    [
        ("NEC Report – 23 January 2024", MEETING, "full"),
        ("NEC Away-day Report – January 2020", CHAT, "away_day"),
        ("NEC Away day report", CHAT, "away_day"),
        ("NEC Report – November 4th, 2014", "This meeting was our annual ‘away-day’ (albeit we don’t actually go ‘away’ anywhere).", "away_day"),
        ("Labour NEC Sub-Committees Report – July 2017", "The full NEC met for the first time since 8th June.", "sub_committees"),
        ("Labour NEC Report – 14 January 2020", "Sub-committees of Labour’s national executive committee (NEC) met on January 14th.", "sub_committees"),
        ("NEC Report: Special meeting on 2019 election defeat", CHAT, "special"),
        ("NEC Report: Clause 5 Manifesto Meeting", "The Manifesto is agreed at a special meeting, known as the Clause Five Meeting.", "clause_v"),
        ("NEC Report: Clause V", CHAT, "clause_v"),
        ("NEC Report", "An emergency NEC meeting was called on Monday.", "special"),
        # cues deep in the body describe other meetings, not this one
        ("NEC Report", CHAT * 4 + " A special NEC meeting will be scheduled. The away day is in May.", "full"),
        ("NEC Report – 28 March 2023", "The March NEC was livelier. We are out of the EHRC special measures.", "full"),
    ],
)  # fmt: skip
def test_meeting_kind(title: str, body: str, want: str) -> None:
    assert meeting_kind(title, body) == want


# --------------------------------------------------------------------------- titles real reporters use


@pytest.mark.parametrize(
    ("title", "body", "published", "date_", "kind"),
    [
        # Ann Black
        ("NEC Meeting, 25 July 2023", CHAT, "2023-07-27T10:00:00+01:00", "2023-07-25", "full"),
        ("NEC Committee Report, 21 January 2021", CHAT, "2021-01-25T10:00:00+00:00", "2021-01-21", "sub_committees"),
        ("NEC Update, November 2021", CHAT, "2021-11-30T10:00:00+00:00", "2021-11", "full"),
        # Peter Willsman: the month from the title, the year from the post date
        ("Peter Willsman reports from Labour's May executive", CHAT, "2019-05-28T10:00:00+01:00", "2019-05", "full"),
        ("Peter Willsman reports from Labour’s December executive", CHAT, "2020-01-03T10:00:00+00:00", "2019-12", "full"),
        # LabourList: no date in the title, the body's meeting date (else the publication month)
        ("Everything we learnt from the NEC", "The NEC met on 13 June and agreed the timetable.", "2023-06-14T10:00:00+01:00", "2023-06-13", "full"),
        ("Everything we learnt from the NEC", CHAT, "2023-06-14T10:00:00+01:00", "2023-06", "full"),
    ],
)  # fmt: skip
def test_classify_real_reporters_titles(title: str, body: str, published: str, date_: str, kind: str) -> None:
    c = classify(_post(title, body, published=published))
    assert (c.is_nec_report, c.reason, c.meeting_date, c.meeting_kind) == (True, "title", date_, kind)


@pytest.mark.parametrize(
    "title",
    [
        "Company reports on executive pay",  # "executive" alone is not Labour's
        "What we learned from today's NEC?",  # a question stays a non-report
        "Explainer: what happens at an NEC meeting",
        "NEC members' reports: a round-up",
    ],
)
def test_new_title_rules_keep_non_reports_out(title: str) -> None:
    assert classify(_post(title, CHAT)).is_nec_report is False
