"""A site replayed through states over time: change the ReplayWeb, poll, look at what was written."""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from necwatch.config import Config
from necwatch.demo import demo_config
from necwatch.pipeline import RunResult, run_async
from necwatch.replay import ReplayWeb
from necwatch.store import Store

WP = "https://aliceperry.wordpress.com"
WP_POSTS = f"{WP}/wp-json/wp/v2/posts?tags=3464"
BLOGGER = "https://lukeakehurst.blogspot.com"
BLOGGER_FEED = f"{BLOGGER}/feeds/posts/default"
LL_POST = "https://labourlist.org/2014/11/nec-report-november-4th-2014/"

# Tables whose rows are the dataset (bookkeeping tables - runs, fetches, responses, raw_bodies,
# fetch_errors, sources - change on every poll by design).
DATA_TABLES = ("posts", "reports", "report_versions", "comments", "comment_versions", "alerts")
VOLATILE = {"last_seen_at"}  # refreshed on a timer, not an event

NEW_POST_ID = 9001
NEW_POST_LINK = f"{WP}/2024/03/22/labour-nec-report-march-2024/"
NEW_POST_TITLE = "Labour NEC Report – 21 March 2024"
NEW_POST_BODY = (
    "<p>The NEC met on 21 March 2024. The Organisation Commitee reported on selections.</p>\n"
    "<p>We agreed the timetable for the selection of parliamentary candidates in the remaining seats, "
    "and heard a report from the General Secretary on the party's finances and membership.</p>\n"
    "<p>The Equalities Committee discussed the women's conference and the 'Labour Women's Network' "
    "training programme for candidates.</p>"
)


def dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every data row, minus timer-refreshed columns: two equal dumps mean nothing was written."""
    out = {}
    for table in DATA_TABLES:
        cols = [c.name for c in store.db[table].columns if c.name not in VOLATILE]
        rows = store.db.execute(f"select {', '.join(cols)} from {table} order by rowid").fetchall()
        out[table] = rows
    return out


@dataclass
class Timeline:
    web: ReplayWeb
    config: Config
    store: Store

    @classmethod
    def open(cls, web: ReplayWeb, tmp_path: Path, hosts: list[str], **overrides: Any) -> Timeline:
        config = demo_config(
            web, database=tmp_path / "t.db", feeds_dir=tmp_path / "feeds", hosts=hosts, **overrides
        )
        return cls(web, config, Store.open(config.database_path))

    def poll(self) -> RunResult:
        return asyncio.run(run_async(self.config, self.store))

    def step(self, *, repeat: bool = True) -> list[dict[str, Any]]:
        """Poll once and return the alerts it added; then poll the same state again and assert
        that the repeat wrote nothing at all to the data tables."""
        before = {r["id"] for r in self.store.db.query("select id from alerts")}
        self.last = self.poll()
        rows = self.store.db.query("select * from alerts order by rowid")
        added = [r for r in rows if r["id"] not in before]
        if repeat:
            snapshot = dump(self.store)
            self.poll()
            again = dump(self.store)
            for table in DATA_TABLES:
                assert again[table] == snapshot[table], f"re-running the same state changed {table}"
        return added

    # -- reading --------------------------------------------------------------------------------
    def one(self, sql: str, params: list[Any] | None = None) -> dict[str, Any]:
        rows = list(self.store.db.query(sql, params or []))
        assert len(rows) == 1, rows
        return rows[0]

    def count(self, table: str, where: str = "1 = 1", params: list[Any] | None = None) -> int:
        sql = f"select count(*) from {table} where {where}"
        return self.store.db.execute(sql, params or []).fetchone()[0]

    def post(self, url_part: str) -> dict[str, Any]:
        return self.one("select * from posts where url like ?", [f"%{url_part}%"])

    def source(self, name: str) -> dict[str, Any]:
        return self.one("select * from sources where name = ?", [name])

    def assert_post_kept(self, url_part: str, before: dict[str, Any]) -> None:
        """The post is as `before` (its row read then): same text and title, not removed, and its
        report still has one version. For a bad page that must not become an edit or a removal."""
        after = self.post(url_part)
        assert (after["content_hash"], after["title"], after["removed_at"]) == (
            before["content_hash"],
            before["title"],
            None,
        )
        assert self.count("report_versions", "report_id = ?", [before["report_id"]]) == 1

    # -- changing the WordPress REST listing ---------------------------------------------------
    def wp_posts(self) -> list[dict[str, Any]]:
        return json.loads(self.web.body(WP_POSTS))

    def set_wp_posts(self, posts: list[dict[str, Any]]) -> None:
        self.web.set(WP_POSTS, json.dumps(posts), content_type="application/json; charset=UTF-8")

    def edit_wp(self, post_id: int, fn: Callable[[dict[str, Any]], None]) -> None:
        posts = self.wp_posts()
        for p in posts:
            if p["id"] == post_id:
                fn(p)
        self.set_wp_posts(posts)

    def add_wp_post(self, body: str = NEW_POST_BODY, title: str = NEW_POST_TITLE) -> None:
        posts = self.wp_posts()
        new = json.loads(json.dumps(posts[0]))
        new.update(
            id=NEW_POST_ID,
            date="2024-03-22T10:00:00",
            date_gmt="2024-03-22T10:00:00",
            modified="2024-03-22T10:00:00",
            modified_gmt="2024-03-22T10:00:00",
            slug="labour-nec-report-march-2024",
            link=NEW_POST_LINK,
            guid={"rendered": f"{WP}/?p={NEW_POST_ID}"},
        )
        new["title"] = {"rendered": title}
        new["content"] = {"rendered": body}
        new["excerpt"] = {"rendered": body[:100]}
        posts.insert(0, new)
        self.set_wp_posts(posts)
        self.set_wp_comments(NEW_POST_ID, [])
        self.web.set(NEW_POST_LINK, self.web.body(posts[1]["link"]))  # the permalink answers 200

    def set_wp_comments(self, post_id: int, comments: list[dict[str, Any]]) -> None:
        self.web.set(
            f"{WP}/wp-json/wp/v2/comments?post={post_id}",
            json.dumps(comments),
            content_type="application/json; charset=UTF-8",
        )

    # -- changing the Blogger feed -------------------------------------------------------------
    def add_blogger_entry(self, *, post_id: str, path: str, title: str, body_html: str) -> None:
        """Clone the feed's first entry as a new post (no comments) at BLOGGER/path."""
        feed = self.web.body(BLOGGER_FEED).decode()
        first = re.search(r"<entry>.*?</entry>", feed, re.S)
        assert first is not None
        entry = first.group(0)
        old_id = re.search(r"post-(\d+)</id>", entry).group(1)  # type: ignore[union-attr]
        old_path = re.search(r"href='https://lukeakehurst\.blogspot\.com/([^'#]+\.html)'", entry).group(1)  # type: ignore[union-attr]
        entry = entry.replace(old_id, post_id).replace(old_path, path)
        title_xml = f"<title type='text'>{html.escape(title)}</title>"
        entry = re.sub(r"<title type='text'>.*?</title>", title_xml, entry)
        entry = re.sub(
            r"<content type='html'>.*?</content>",
            lambda _: f"<content type='html'>{html.escape(body_html)}</content>",
            entry,
            flags=re.S,
        )
        entry = re.sub(r"<thr:total>\d+</thr:total>", "<thr:total>0</thr:total>", entry)
        entry = entry.replace("2024-01-24T13:37:00.000Z", "2024-03-23T09:00:00.000Z")
        entry = re.sub(r"<updated>[^<]+</updated>", "<updated>2024-03-23T09:00:00.000Z</updated>", entry)
        self.web.set(BLOGGER_FEED, feed.replace(first.group(0), entry + first.group(0), 1))


def wp_comment(cid: int, post_id: int, text: str, author: str = "Sam Reader") -> dict[str, Any]:
    return {
        "id": cid,
        "post": post_id,
        "parent": 0,
        "author": 0,
        "author_name": author,
        "author_url": "",
        "date": "2024-03-23T12:00:00",
        "date_gmt": "2024-03-23T12:00:00",
        "content": {"rendered": f"<p>{text}</p>\n"},
        "link": f"{NEW_POST_LINK}#comment-{cid}",
        "status": "approved",
        "type": "comment",
    }
