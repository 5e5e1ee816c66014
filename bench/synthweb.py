"""A synthetic, evolving WordPress-REST web for load tests: thousands of posts across a few hosts.

Each `SynthSite` mimics what the WordPress adapter reads on the reference web
(`src/necwatch/demo_data/reference-web/aliceperry.wordpress.com/wp-json/…`):

* `/wp-json/wp/v2/tags?slug=TAG` → `[{"id": …, "slug": TAG, …}]`
* `/wp-json/wp/v2/posts?tags=ID` and `…&page=K` (10 per page, newest first) with `X-WP-Total` and
  `X-WP-TotalPages`
* `/wp-json/wp/v2/users/ID` and `/wp-json/wp/v2/comments?post=ID` (one page)
* `/robots.txt` (allow all)

`SynthWeb.write_corpus(dir)` writes a ReplayWeb corpus (manifest.json + files); after
`SynthWeb.evolve()` (new posts, edits, new comments on every host), `SynthWeb.apply(web)` pushes
the changed responses into a running `ReplayWeb`. Everything is seeded, so runs are reproducible.

Every generation adds exactly `new_per_gen` posts, edits `edits_per_gen` reports and adds
`comments_per_gen` comments *per host*: a reader that sees a partial source shows up as counts that
are not multiples of these (see bench/bench_live_reads.py).
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PER_PAGE = 10  # WordPress's default `per_page`: what the adapter pages by when rest_per_page is None
TAG_SLUG = "nec"
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ber", "dan", "fel", "gor", "hin", "jus",
              "lam", "mor", "nid", "pol", "quen", "rist", "sel", "tur", "ward", "zen"]  # fmt: skip
_COMMON = ["the", "committee", "agreed", "that", "labour", "members", "report", "meeting", "party",
           "vote", "policy", "general", "secretary", "conference", "national", "executive", "we", "was",
           "on"]  # fmt: skip
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip


def _http_date(dt: datetime) -> str:
    return email.utils.format_datetime(dt.astimezone(UTC), usegmt=True)


def _wp_dates(dt: datetime) -> tuple[str, str]:
    """WordPress `date` (site local, here UTC+1) and `date_gmt`, both without an offset."""
    return (dt + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"), dt.strftime("%Y-%m-%dT%H:%M:%S")


@dataclass
class SynthComment:
    id: int
    author: str
    text: str
    at: datetime
    parent: int = 0


@dataclass
class SynthPost:
    id: int
    slug: str
    title: str
    paragraphs: list[str]
    published: datetime
    modified: datetime
    comments: list[SynthComment] = field(default_factory=list)


@dataclass
class SynthSite:
    """One WordPress host: a tag whose posts the source reads, an author, posts and comments."""

    host: str
    rng: random.Random
    tag_id: int
    user_id: int
    author: str
    posts: list[SynthPost] = field(default_factory=list)  # oldest first
    next_id: int = 1000
    next_comment: int = 1_000_000

    # -- content ------------------------------------------------------------------------------
    def _word(self) -> str:
        if self.rng.random() < 0.3:
            return self.rng.choice(_COMMON)
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 4)))

    def _sentence(self, n: int = 14) -> str:
        words = [self._word() for _ in range(self.rng.randint(n - 4, n + 4))]
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def _paragraph(self) -> str:
        return " ".join(self._sentence() for _ in range(self.rng.randint(3, 5)))

    def add_post(self, published: datetime, paragraphs: int = 6) -> SynthPost:
        """A new NEC report published at `published` (its title names the meeting's date)."""
        pid = self.next_id
        self.next_id += 1
        meeting = published - timedelta(days=1)
        day = f"{meeting.day} {_MONTHS[meeting.month - 1]} {meeting.year}"
        title = f"NEC Report – {day} ({self.author}, no. {pid})"
        opening = f"The NEC met on {day}. This is my report of the meeting, number {pid}."
        body = [opening] + [self._paragraph() for _ in range(paragraphs)]
        post = SynthPost(pid, f"nec-report-{pid}", title, body, published, published)
        self.posts.append(post)
        return post

    def add_comment(self, post: SynthPost, at: datetime) -> SynthComment:
        cid = self.next_comment
        self.next_comment += 1
        parent = post.comments[-1].id if post.comments and self.rng.random() < 0.3 else 0
        c = SynthComment(cid, f"Reader {self.rng.randint(1, 500)}", self._sentence(10), at, parent)
        post.comments.append(c)
        return c

    def edit(self, post: SynthPost, at: datetime, generation: int) -> None:
        post.paragraphs.append(f"Update (revision {generation}): " + self._paragraph())
        post.modified = at

    # -- responses ----------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"https://{self.host}/{path}"

    def permalink(self, p: SynthPost) -> str:
        return self.url(f"{p.published:%Y/%m/%d}/{p.slug}/")

    def _post_json(self, p: SynthPost) -> dict[str, Any]:
        date, date_gmt = _wp_dates(p.published)
        modified, modified_gmt = _wp_dates(p.modified)
        html = "".join(f"<p>{para}</p>\n" for para in p.paragraphs)
        return {
            "id": p.id,
            "date": date,
            "date_gmt": date_gmt,
            "guid": {"rendered": f"http://{self.host}/?p={p.id}"},
            "modified": modified,
            "modified_gmt": modified_gmt,
            "slug": p.slug,
            "status": "publish",
            "type": "post",
            "link": self.permalink(p),
            "title": {"rendered": p.title},
            "content": {"rendered": html, "protected": False},
            "excerpt": {"rendered": f"<p>{p.paragraphs[0]} [&hellip;]</p>\n", "protected": False},
            "author": self.user_id,
            "comment_status": "open",
            "tags": [self.tag_id],
        }

    def _comment_json(self, p: SynthPost, c: SynthComment) -> dict[str, Any]:
        date, date_gmt = _wp_dates(c.at)
        return {
            "id": c.id,
            "post": p.id,
            "parent": c.parent,
            "author": 0,
            "author_name": c.author,
            "author_url": "",
            "date": date,
            "date_gmt": date_gmt,
            "content": {"rendered": f"<p>{c.text}</p>\n"},
            "link": f"{self.permalink(p)}#comment-{c.id}",
            "status": "approved",
            "type": "comment",
        }

    def responses(self) -> dict[str, tuple[dict[str, str], bytes]]:
        """Every URL the adapter reads → (headers, body), as the site would serve them now."""
        out: dict[str, tuple[dict[str, str], bytes]] = {}
        jtype = "application/json; charset=UTF-8"
        newest = max((p.modified for p in self.posts), default=datetime(2000, 1, 1, tzinfo=UTC))

        def put(url: str, obj: Any, last_modified: datetime, extra: dict[str, str] | None = None) -> None:
            body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {
                "content-type": jtype,
                "etag": 'W/"' + hashlib.md5(body).hexdigest() + '"',
                "last-modified": _http_date(last_modified),
                **(extra or {}),
            }
            out[url] = (headers, body)

        out[self.url("robots.txt")] = (
            {"content-type": "text/plain; charset=utf-8"},
            b"User-agent: *\nAllow: /\n",
        )
        put(
            self.url(f"wp-json/wp/v2/tags?slug={TAG_SLUG}"),
            [
                {
                    "id": self.tag_id,
                    "count": len(self.posts),
                    "name": "NEC",
                    "slug": TAG_SLUG,
                    "taxonomy": "post_tag",
                    "link": self.url(f"tag/{TAG_SLUG}/"),
                }
            ],
            newest,
        )
        put(
            self.url(f"wp-json/wp/v2/users/{self.user_id}"),
            {"id": self.user_id, "name": self.author, "slug": self.author.lower().replace(" ", "")},
            newest,
        )
        listing = sorted(self.posts, key=lambda p: p.published, reverse=True)
        total = len(listing)
        pages = max(1, -(-total // PER_PAGE))
        for k in range(1, pages + 1):
            chunk = listing[(k - 1) * PER_PAGE : k * PER_PAGE]
            suffix = "" if k == 1 else f"&page={k}"
            put(
                self.url(f"wp-json/wp/v2/posts?tags={self.tag_id}{suffix}"),
                [self._post_json(p) for p in chunk],
                max((p.modified for p in chunk), default=newest),
                {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)},
            )
        for p in self.posts:
            comments = [self._comment_json(p, c) for c in reversed(p.comments)]  # newest first
            put(
                self.url(f"wp-json/wp/v2/comments?post={p.id}"),
                comments,
                max((c.at for c in p.comments), default=p.published),
                {"X-WP-Total": str(len(comments)), "X-WP-TotalPages": str(1 if comments else 0)},
            )
        return out


@dataclass
class SynthWeb:
    """Several SynthSites with a shared clock; `evolve()` makes the next generation on every host."""

    hosts: int = 4
    posts_per_host: int = 500
    new_per_gen: int = 10
    edits_per_gen: int = 10
    comments_per_gen: int = 20
    seed: int = 17
    sites: list[SynthSite] = field(default_factory=list)
    generation: int = 0
    clock: datetime = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

    def __post_init__(self) -> None:
        if self.posts_per_host % self.new_per_gen:
            raise ValueError("posts_per_host must be a multiple of new_per_gen (the torn-read check)")
        rng = random.Random(self.seed)
        start = datetime(1990, 1, 1, 9, 0, tzinfo=UTC)
        span = (self.clock - start).total_seconds()
        for h in range(self.hosts):
            site = SynthSite(
                host=f"member{h + 1}.example.org",
                rng=random.Random(rng.getrandbits(64)),
                tag_id=500 + h,
                user_id=9000 + h,
                author=f"Member {chr(ord('A') + h)}",
            )
            # Spread over decades so the near-duplicate window (±120 days) holds few candidates.
            for i in range(self.posts_per_host):
                at = start + timedelta(seconds=span * (i + rng.random() * 0.5) / self.posts_per_host)
                post = site.add_post(at.replace(microsecond=0))
                for _ in range(rng.choice((0, 0, 1, 2))):
                    site.add_comment(post, post.published + timedelta(hours=rng.randint(1, 200)))
            self.sites.append(site)

    # -- serving ------------------------------------------------------------------------------
    def responses(self) -> dict[str, tuple[dict[str, str], bytes]]:
        out: dict[str, tuple[dict[str, str], bytes]] = {}
        for site in self.sites:
            out.update(site.responses())
        return out

    def write_corpus(self, root: Path) -> Path:
        """A ReplayWeb corpus: manifest.json plus one file per response."""
        root.mkdir(parents=True, exist_ok=True)
        manifest = []
        for i, (url, (headers, body)) in enumerate(sorted(self.responses().items())):
            host = url.split("/")[2]
            rel = f"{host}/r{i:06d}.{'txt' if url.endswith('robots.txt') else 'json'}"
            (root / host).mkdir(exist_ok=True)
            (root / rel).write_bytes(body)
            manifest.append({"url": url, "status": 200, "headers": headers, "file": rel})
        (root / "manifest.json").write_text(json.dumps(manifest, indent=0), encoding="utf-8")
        return root

    def apply(self, web: Any) -> int:
        """Push every changed or new response into a running ReplayWeb; returns how many changed."""
        n = 0
        for url, (headers, body) in self.responses().items():
            entry = web.entries.get(url)
            if entry is None or entry.body != body:
                web.set(url, body, headers=headers)
                n += 1
        return n

    # -- change over time ---------------------------------------------------------------------
    def evolve(self) -> None:
        """The next generation on every host: new posts, edits of older reports, new comments."""
        self.generation += 1
        g = self.generation
        self.clock += timedelta(days=1)
        for site in self.sites:
            old = list(site.posts)
            for i in range(self.new_per_gen):
                site.add_post(self.clock + timedelta(minutes=i))
            step = max(1, len(old) // self.edits_per_gen)
            for i in range(self.edits_per_gen):
                site.edit(old[(g * 7 + i * step) % len(old)], self.clock, g)
            for i in range(self.comments_per_gen):
                post = old[(g * 13 + i * 37) % len(old)]
                site.add_comment(post, self.clock + timedelta(minutes=i))

    def config(self, web: Any, database: Path, **overrides: Any) -> Any:
        """A necwatch Config with one `wordpress` source (REST, tag `nec`) per host of `web`."""
        from necwatch.config import config_from_dict

        pages = -(-(self.posts_per_host + 100 * self.new_per_gen) // PER_PAGE) + 10
        sources = [
            {
                "name": f"member-{i + 1}",
                "type": "wordpress",
                "url": web.base(site.host),
                "tag": TAG_SLUG,
                "via": "rest",
                "author": site.author,
                "max_pages": pages,
            }
            for i, site in enumerate(self.sites)
        ]
        data: dict[str, Any] = {
            "database": str(database),
            "feeds_dir": str(Path(database).parent / "feeds"),
            "allow_private_addresses": True,
            "fetch": {
                "per_host_delay": 0,
                "per_host_concurrency": 4,
                "backoff": 0.01,
                "connect_timeout": 5,
                "read_timeout": 20,
            },
            "sources": sources,
            **overrides,
        }
        return config_from_dict(data, file="<synthweb>")
