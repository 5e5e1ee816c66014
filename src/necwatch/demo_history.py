"""The demo's history: later states of the bundled snapshot, derived from it by small, marked changes.

Nothing here is attributed to a real person beyond sentences that say they were added by the demo.
The states, each polled once by `necwatch demo`:

1. *before*: the snapshot without Alice Perry's newest report (September 2020), as it stood before
   she posted it: every report is backfill. LabourList carries the demo's one invented report
   (`SECOND_REPORT`): a second member's report of the 23 January 2024 meeting, written for the
   demo and marked as such in its title, byline and first paragraph (its author, "Alex Fixture",
   is not a real person), so the demo has a meeting reported by two members. It agrees with Luke
   Akehurst's report on the items, the Forde figures and who spoke, and disagrees on one point:
   it says the NEC voted on the final Forde paper (carried 24 to 8), where his says the NEC
   received it.
2. *later*: that report appears (`new_report`); Luke Akehurst's 23 January 2024 report gains one
   marked sentence (`report_edited`, a version with a diff); a marked demo comment appears under
   Alice Perry's 17 September report (`new_comment`); his 28 March 2023 report is reposted at a
   second address on his blog (`report_republished`); her March 2019 report answers 410 and leaves
   the listing (`report_removed`).
3. *latest*: the March 2019 report is back (`report_restored`); the demo comment is edited
   (`comment_edited`) and the older comment under that report is deleted (`comment_removed`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from necwatch.replay import ReplayWeb

WP = "https://aliceperry.wordpress.com"
WP_POSTS = f"{WP}/wp-json/wp/v2/posts?tags=3464"
BLOGGER = "https://lukeakehurst.blogspot.com"
BLOGGER_FEED = f"{BLOGGER}/feeds/posts/default"
JSON_TYPE = "application/json; charset=UTF-8"

NEWEST_WP_POST = 4521  # NEC Report: Special meeting on 2019 election defeat … (September 2020)
REMOVED_WP_POST = 4127  # Labour NEC Report – March 2019
COMMENTED_WP_POST = 4215  # Labour NEC Report – 17 September
DEMO_COMMENT_ID = 990001

EDIT_ANCHOR = "Tony Lloyd and Alan Rogers."
EDIT_SENTENCE = " [Edited in the necwatch demo: this sentence was added to show how an edit is tracked.]"
REPUBLISHED_POST_ID = "8520364218827419470"  # NEC Report – 28 March 2023
REPUBLISHED_COPY_ID = "1000000000000000001"
REPUBLISHED_PATH = "2024/04/nec-report-28-march-2023-republished.html"

# Fixed Last-Modified times, so two demo runs store the same validators.
FIXTURE_TIME = "Fri, 26 Jan 2024 10:00:00 GMT"
LATER = "Mon, 01 Apr 2024 09:00:00 GMT"
LATEST = "Tue, 02 Apr 2024 09:00:00 GMT"

# The demo's second reporter (see the module docstring): written for the demo, copied from nowhere.
LABOURLIST_TAG = "https://labourlist.org/tag/nec/"
SECOND_REPORT_URL = "https://labourlist.org/2024/01/necwatch-demo-fixture-nec-report-23-january-2024/"
SECOND_REPORT_TITLE = "NEC Report – 23 January 2024 (a necwatch demo fixture)"
SECOND_REPORT_AUTHOR = "Alex Fixture"
SECOND_REPORT_PUBLISHED = "2024-01-26T10:00:00+00:00"
SECOND_REPORT_BODY = """\
<p><em>[Demo fixture: this report was written for the necwatch demo, to show a meeting reported by two \
members. Its author, Alex Fixture, is not a real person or NEC member, and it is not an account of the \
meeting.]</em></p>
<p><strong>Apologies and tributes</strong></p>
<p>We began with tributes to Tony Lloyd, Glenys Kinnock, Derek Draper and Alan Rogers. Keir Starmer sent \
apologies as he was in the Commons for the statement on the Middle East.</p>
<p>The minutes of the previous meeting were agreed.</p>
<p><strong>Forde Report</strong></p>
<p>Vidhya Alakeson presented the final paper on implementing the Forde Report: 154 of its 165 \
recommendations have been completed.</p>
<p>After a long discussion the NEC voted to accept the final Forde paper and close the Forde work, by 24 \
votes to 8.</p>
<p><strong>General Secretary’s report</strong></p>
<p>David Evans reported on the five byelections of 2023 and the two coming in Kingswood and Wellingborough \
on 15 February.</p>
<p>The NEC agreed unanimously the timetable for the remaining parliamentary selections in \
non-battleground seats.</p>
<p>A proposal to hold the Young Labour committee elections by online ballot was carried by 22 votes to \
12.</p>
<p><strong>Deputy Leader’s report</strong></p>
<p>Angela Rayner paid tribute to Tony Lloyd and called for the party to be united and disciplined.</p>
"""


class DemoHistory:
    """Applies the states above, in order, to one ReplayWeb (the bundled snapshot)."""

    def __init__(self, web: ReplayWeb) -> None:
        self.web = web
        self.listing = json.loads(web.body(WP_POSTS))
        self.comments = json.loads(web.body(self._comments_url(COMMENTED_WP_POST)))
        self.removed_page = web.body(self._link(REMOVED_WP_POST))

    def states(self) -> Iterator[Callable[[], None]]:
        """Each state as a function that puts the web in it (call it, then poll)."""
        yield self.before
        yield self.later
        yield self.latest

    # -- the states ------------------------------------------------------------------------------
    def before(self) -> None:
        self._set_listing([p for p in self.listing if p["id"] != NEWEST_WP_POST], None)
        self._add_second_report()

    def later(self) -> None:
        self._set_listing([p for p in self.listing if p["id"] != REMOVED_WP_POST], LATER)
        self.web.delete(self._link(REMOVED_WP_POST), 410)
        self._set_comments([*self.comments, self._demo_comment("added to show a new comment")], LATER)
        self._edit_blogger_report()
        self._republish_blogger_post()

    def latest(self) -> None:
        self._set_listing(self.listing, LATEST)
        self.web.set(self._link(REMOVED_WP_POST), self.removed_page, headers={"last-modified": LATEST})
        edited = self._demo_comment("added to show a new comment, then edited to show an edit")
        self._set_comments([*self.comments[1:], edited], LATEST)

    # -- WordPress ---------------------------------------------------------------------------------
    def _link(self, post_id: int) -> str:
        return next(str(p["link"]) for p in self.listing if p["id"] == post_id)

    @staticmethod
    def _comments_url(post_id: int) -> str:
        return f"{WP}/wp-json/wp/v2/comments?post={post_id}"

    def _set_listing(self, posts: list[dict[str, Any]], modified: str | None) -> None:
        headers = {"last-modified": modified} if modified else None
        self.web.set(WP_POSTS, json.dumps(posts), content_type=JSON_TYPE, headers=headers)

    def _set_comments(self, comments: list[dict[str, Any]], modified: str) -> None:
        self.web.set(
            self._comments_url(COMMENTED_WP_POST),
            json.dumps(comments),
            content_type=JSON_TYPE,
            headers={"last-modified": modified},
        )

    def _demo_comment(self, what: str) -> dict[str, Any]:
        comment = json.loads(json.dumps(self.comments[0]))
        comment.update(
            id=DEMO_COMMENT_ID,
            parent=0,
            author_name="necwatch demo",
            date="2024-04-01T10:00:00",
            date_gmt="2024-04-01T09:00:00",
            link=f"{self._link(COMMENTED_WP_POST)}#comment-{DEMO_COMMENT_ID}",
        )
        comment["content"] = {"rendered": f"<p>[Demo comment: {what} by the necwatch demo.]</p>\n"}
        return comment

    # -- LabourList: the demo's second reporter ------------------------------------------------------
    def _add_second_report(self) -> None:
        """SECOND_REPORT as a LabourList article, first on the NEC tag's listing."""
        from html import escape

        title, author = escape(SECOND_REPORT_TITLE), escape(SECOND_REPORT_AUTHOR)
        profile = "https://labourlist.org/author/alexfixture/"
        byline = f'<a class="author url fn" href="{profile}" rel="author">{author}</a>'
        page = f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="UTF-8"><title>{title} - LabourList</title>
<link rel="canonical" href="{SECOND_REPORT_URL}" /></head>
<body class="single single-post"><main id="main">
<article id="post-990002" class="post type-post status-publish format-standard hentry tag-nec">
<header class="article-header"><h1 class="article-header__title entry-title">{title}</h1>
<span class="byline">By {byline}</span>
<time class="entry-date published" datetime="{SECOND_REPORT_PUBLISHED}">26th January, 2024, 10:00 am</time>
</header>
<div class="article-body entry-content">
{SECOND_REPORT_BODY}</div>
</article></main></body></html>
"""
        self.web.set(SECOND_REPORT_URL, page, headers={"last-modified": FIXTURE_TIME})
        card = f"""<article class="card card--post post-990002 post type-post status-publish hentry tag-nec">
			<div class="card__body">
				<h2 class="card__title"><a href="{SECOND_REPORT_URL}">{title}</a></h2>
				<div class="card__meta"><span class="card__author">{author}</span> <time class="card__date" \
datetime="{SECOND_REPORT_PUBLISHED}">26th January, 2024, 10:00 am</time></div>
			</div>
		</article>
		"""
        listing = self.web.body(LABOURLIST_TAG).decode()
        at = listing.index('<article class="card')
        self.web.set(
            LABOURLIST_TAG, listing[:at] + card + listing[at:], headers={"last-modified": FIXTURE_TIME}
        )

    # -- Blogger -----------------------------------------------------------------------------------
    def _edit_blogger_report(self) -> None:
        """Add the marked sentence wherever the 23 January 2024 report's text is served."""
        for url, entry in list(self.web.entries.items()):
            if url.startswith(BLOGGER) and EDIT_ANCHOR.encode() in entry.body:
                body = entry.body.replace(EDIT_ANCHOR.encode(), (EDIT_ANCHOR + EDIT_SENTENCE).encode())
                self.web.set(url, body, headers={"last-modified": LATER})

    def _republish_blogger_post(self) -> None:
        """Repost the 28 March 2023 report at a second address on the same blog (same author, same
        text, a title that says it is the demo's repost)."""
        feed = self.web.body(BLOGGER_FEED).decode()
        entries = re.findall(r"<entry>.*?</entry>", feed, re.S)
        original = next(e for e in entries if f"post-{REPUBLISHED_POST_ID}</id>" in e)
        old_path = re.search(r"lukeakehurst\.blogspot\.com/(\d{4}/\d\d/[^'#]+\.html)", original)
        assert old_path is not None
        copy = original.replace(REPUBLISHED_POST_ID, REPUBLISHED_COPY_ID).replace(
            old_path.group(1), REPUBLISHED_PATH
        )
        copy = re.sub(
            r"<title type='text'>(.*?)</title>",
            r"<title type='text'>\1 (reposted in the necwatch demo)</title>",
            copy,
        )
        copy = re.sub(r"<thr:total>\d+</thr:total>", "<thr:total>0</thr:total>", copy)
        copy = re.sub(
            r"<published>[^<]+</published>", "<published>2024-04-01T09:00:00.000Z</published>", copy
        )
        copy = re.sub(r"<updated>[^<]+</updated>", "<updated>2024-04-01T09:00:00.000Z</updated>", copy)
        self.web.set(
            BLOGGER_FEED, feed.replace(entries[0], copy + entries[0], 1), headers={"last-modified": LATER}
        )
        self.web.set(f"{BLOGGER}/{REPUBLISHED_PATH}", self.web.body(f"{BLOGGER}/{old_path.group(1)}"))
