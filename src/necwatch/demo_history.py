"""The demo's history: later states of the bundled snapshot, derived from it by small, marked changes.

Nothing here is attributed to a real person beyond sentences that say they were added by the demo.
The states, each polled once by `necwatch demo`:

1. *before*: the snapshot without Alice Perry's newest report (September 2020), as it stood before
   she posted it: every report is backfill.
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
LATER = "Mon, 01 Apr 2024 09:00:00 GMT"
LATEST = "Tue, 02 Apr 2024 09:00:00 GMT"


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
