"""X3 / G10: volatile markup is not change.

Every HTML page of the reference web is read (Blogger, WordPress and Progress forced to `via: html`,
LabourList), plus the feed / REST responses of a second set of sources on the same sites (Blogger
`via: feed`, WordPress `via: rest`). After the backfill:

(a) the same bytes again → nothing; (b) five seeded rounds of randomized chrome (counters, "5 minutes
ago", nonces, shuffled widgets, ad blocks, `?ver=` cache busters, Blogger's navbar/jstiming script,
comment-form tokens) and of in-body noise (whitespace runs, straight/curly quotes, dash variants,
utm_*/fbclid on links) in EVERY replayed response → no edit, version, comment or removal;
(c) one real sentence changed in one report → exactly one `report_edited` whose diff is that change.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from necwatch.normalize import normalized_text
from necwatch.replay import Entry, ReplayWeb
from tests.faults.sim import content_rows
from tests.tracking.helpers import LL_POST, Timeline

FAST = {"per_host_delay": 0, "backoff": 0.01, "retries": 1, "connect_timeout": 2, "read_timeout": 5}
ROUNDS = 5
SEED = 20240612
HTML_SET = [
    {"name": "luke-html", "type": "blogger", "author": "Luke Akehurst", "via": "html"},
    {
        "name": "alice-html",
        "type": "wordpress",
        "author": "Alice Perry",
        "tag": "general-election",
        "via": "html",
    },
    {"name": "labourlist", "type": "labourlist", "tag": "nec"},
    {
        "name": "progress-html",
        "type": "wordpress",
        "author": "Luke Akehurst",
        "author_slug": "luke-akehurst",
        "via": "html",
    },
]
FEED_SET = [
    {"name": "luke-feed", "type": "blogger", "author": "Luke Akehurst", "via": "feed"},
    {
        "name": "alice-rest",
        "type": "wordpress",
        "author": "Alice Perry",
        "tag": "general-election",
        "via": "rest",
    },
]
ALT_SET = [
    {"name": "luke-json", "type": "blogger", "author": "Luke Akehurst", "via": "json"},
    {
        "name": "alice-rss",
        "type": "wordpress",
        "author": "Alice Perry",
        "tag": "general-election",
        "via": "rss",
    },
]
HOST_OF = {
    "luke-html": "lukeakehurst.blogspot.com",
    "luke-feed": "lukeakehurst.blogspot.com",
    "alice-html": "aliceperry.wordpress.com",
    "alice-rest": "aliceperry.wordpress.com",
    "luke-json": "lukeakehurst.blogspot.com",
    "alice-rss": "aliceperry.wordpress.com",
    "labourlist": "labourlist.org",
    "progress-html": "www.progressonline.org.uk",
}
LL_OLD = "I was pleased to be asked to sit on that panel."
LL_NEW = "I was asked to chair that panel, and I agreed."
NOT_A_CHANGE = (
    "report_edited",
    "report_removed",
    "report_restored",
    "new_report",
    "new_comment",
    "comment_edited",
    "comment_removed",
)

# -- noise -------------------------------------------------------------------------------------

_TAG = re.compile(r"(<[^>]*>)")
_BODY_START = re.compile(
    r"""<div\s+class=["'](?:post-body|entry-content|article-body entry-content)["'][^>]*>"""
)
_DIV = re.compile(r"<div\b|</div>", re.I)
_HREF = re.compile(r"""(href=["'])(https?://[^"'#]+)(#[^"']*)?(["'])""")
_LIST = re.compile(r"(<ul\b[^>]*>)((?:(?!<ul\b|</ul>).)*?)(</ul>)", re.S | re.I)
_LI = re.compile(r"<li\b.*?</li>", re.S | re.I)
_BODY_TAG = re.compile(r"<body\b([^>]*)>", re.I)


def _token(rng: random.Random, n: int = 10) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _tracked(url: str, rng: random.Random) -> str:
    """The same link with click-tracking parameters appended."""
    extra = rng.choice(
        ["utm_source=twitter&utm_medium=social", f"fbclid=IwAR{_token(rng, 16)}", "utm_campaign=nec"]
    )
    return url + ("&" if "?" in url else "?") + extra


def _text_noise(text: str, rng: random.Random) -> str:
    """Whitespace runs, straight/curly quotes and dash variants in one text node."""
    text = re.sub(r" ", lambda _: rng.choice([" ", " ", "  ", " \n  ", "\t "]), text)
    text = re.sub(r"[\u2019']", lambda _: rng.choice(["'", "\u2019"]), text)
    text = re.sub(r"\u201c|\u201d", lambda _: '"', text) if rng.random() < 0.5 else text
    return re.sub(r" [\u2013\u2014-] ", lambda _: rng.choice([" - ", " \u2013 ", " \u2014 "]), text)


def _body_noise(region: str, rng: random.Random) -> str:
    """Noise inside an article body: text nodes and link hrefs (never inside script/style)."""
    out, skip = [], False
    for part in _TAG.split(region):
        if part.startswith("<"):
            low = part.lower()
            if low.startswith(("<script", "<style")):
                skip = True
            elif low.startswith(("</script", "</style")):
                skip = False
            if low.startswith("<a ") and rng.random() < 0.7:
                part = _HREF.sub(
                    lambda m: m.group(1) + _tracked(m.group(2), rng) + (m.group(3) or "") + m.group(4), part
                )
            out.append(part)
        else:
            out.append(part if skip else _text_noise(part, rng))
    return "".join(out)


def _body_regions(page: str) -> list[tuple[int, int]]:
    """(start, end) of every article body div, end found by counting nested divs."""
    regions = []
    for m in _BODY_START.finditer(page):
        depth, pos = 1, m.end()
        for d in _DIV.finditer(page, m.end()):
            depth += -1 if d.group(0).lower() == "</div>" else 1
            pos = d.start()
            if depth == 0:
                break
        regions.append((m.end(), pos))
    return regions


def _chrome(rng: random.Random) -> tuple[str, str]:
    """Volatile blocks put right after <body> and right before </body>."""
    related = [f"<li><a href='/related/{i}/'>Related post {i}</a></li>" for i in range(6)]
    rng.shuffle(related)
    top = (
        f"<div class='nw-topbar' data-nonce='{_token(rng)}'>"
        f"<span class='view-count'>{rng.randrange(100, 99999)} views</span>"
        f"<span class='ago'>{rng.randrange(1, 59)} minutes ago</span>"
        f"<div class='ad-slot' id='ad-{_token(rng, 6)}'><a href='https://ads.example/c?{_token(rng)}'>"
        f"Advertisement {rng.randrange(1000)}</a></div>"
        f"<script nonce='{_token(rng)}'>"
        f"window.__cfg={{nonce:'{_token(rng)}',t:{rng.randrange(10**9)}}};</script>"
        "</div>"
    )
    bottom = (
        f"<aside class='nw-related'><h3>Related</h3><ul>{''.join(related)}</ul></aside>"
        f"<form class='nw-comment-form'><input type='hidden' name='comment_token' value='{_token(rng, 24)}'>"
        f"<input type='hidden' name='_wpnonce' value='{_token(rng)}'></form>"
        f"<div class='nw-footer'>Page generated in 0.{rng.randrange(100, 999)} seconds</div>"
    )
    return top, bottom


def _shuffle_lists(page: str, rng: random.Random) -> str:
    """Shuffle the items of every innermost <ul> outside the article bodies (widgets, "More from
    LabourList", menus), except comment lists."""
    bodies = _body_regions(page)

    def shuffle(m: re.Match[str]) -> str:
        inside = any(start <= m.start() < end for start, end in bodies)
        if inside or "comment" in m.group(1).lower():
            return m.group(0)
        items = _LI.findall(m.group(2))
        if len(items) < 2 or _LI.sub("", m.group(2)).strip():
            return m.group(0)
        rng.shuffle(items)
        return m.group(1) + "\n".join(items) + m.group(3)

    return _LIST.sub(shuffle, page)


def noisy_html(page: str, rng: random.Random) -> str:
    """One randomized rendering of an HTML page: new chrome everywhere, noise in article bodies."""
    page = _shuffle_lists(page, rng)
    for start, end in reversed(_body_regions(page)):
        page = page[:start] + _body_noise(page[start:end], rng) + page[end:]
    page = re.sub(r"([?&;]ver=)[\w.]+", lambda m: m.group(1) + str(rng.randrange(1, 10**6)), page)
    page = re.sub(r"(\?m=)\d+", lambda m: m.group(1) + str(rng.randrange(10**9)), page)
    page = re.sub(
        r"""(nonce["']?\s*(?:[:=]|[^>]{0,60}?value=)\s*["'])[0-9a-f]{6,}""",
        lambda m: m.group(1) + _token(rng),
        page,
    )
    # Blogger's jstiming and navbar script.
    page = page.replace('tick("start");', f'tick("start");t.rnd={rng.randrange(10**9)};', 1)
    page = re.sub(r"\\x26v\\x3d\d+", lambda _: f"\\x26v\\x3d{rng.randrange(2, 9)}", page)
    top, bottom = _chrome(rng)
    page = _BODY_TAG.sub(lambda m: f"<body{m.group(1)} data-nonce='{_token(rng)}'>" + top, page, count=1)
    return page.replace("</body>", bottom + "</body>", 1)


def _escaped_noise(content: str, rng: random.Random) -> str:
    """Noise inside a feed's escaped HTML content: whitespace, quotes, dashes, tracked links."""
    content = re.sub(r"(?<=\w) (?=\w)", lambda _: rng.choice([" ", " ", "  "]), content)
    content = re.sub("\u2019", lambda _: rng.choice(["'", "\u2019"]), content)
    content = re.sub(
        r"(href=(?:&quot;|\"))(https?://[^&\"#]+)",
        lambda m: m.group(1) + _tracked(m.group(2), rng).replace("&", "&amp;"),
        content,
    )
    return re.sub(" [\u2013\u2014] ", lambda _: rng.choice([" - ", " \u2013 ", " \u2014 "]), content)


def noisy_atom(feed: str, rng: random.Random) -> str:
    """A Blogger Atom feed with a new feed-level <updated>, re-indented, noisy entry content."""
    head, sep, rest = feed.partition("<entry>")
    head = re.sub(
        r"<updated>[^<]+</updated>",
        f"<updated>2024-06-{rng.randrange(10, 28)}T0{rng.randrange(10)}:00:00.000Z</updated>",
        head,
        count=1,
    )
    rest = re.sub(
        r"(<content type='html'>)(.*?)(</content>)",
        lambda m: m.group(1) + _escaped_noise(m.group(2), rng) + m.group(3),
        rest,
        flags=re.S,
    )
    return (head + sep + rest).replace("><", rng.choice([">\n<", "><", ">\n  <"]))


def _shuffled(obj: Any, rng: random.Random) -> Any:
    """The same JSON value with every object's keys in a random order."""
    if isinstance(obj, dict):
        keys = list(obj)
        rng.shuffle(keys)
        return {k: _shuffled(obj[k], rng) for k in keys}
    if isinstance(obj, list):
        return [_shuffled(v, rng) for v in obj]
    return obj


def noisy_json(data: str, rng: random.Random) -> str:
    """WordPress REST / Blogger JSON: noisy post content, a volatile counter and feed `updated`,
    keys reordered, re-indented."""
    value = json.loads(data)
    feed = value.get("feed") if isinstance(value, dict) else None
    if isinstance(feed, dict):  # Blogger ?alt=json
        feed.setdefault("updated", {})["$t"] = f"2024-06-{rng.randrange(10, 28)}T00:00:00.000Z"
        for entry in feed.get("entry", []):
            if "content" in entry and "title" in entry and "thr$total" in entry:
                entry["content"]["$t"] = _body_noise(entry["content"]["$t"], rng)
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and isinstance(item.get("content"), dict) and "title" in item:
            item["content"]["rendered"] = _body_noise(item["content"]["rendered"], rng)
            item["jetpack_views"] = rng.randrange(10**6)
    return json.dumps(_shuffled(value, rng), indent=rng.choice([None, 1, 2]), ensure_ascii=rng.random() < 0.5)


def noisy_rss(feed: str, rng: random.Random) -> str:
    """A WordPress RSS feed: new lastBuildDate, noisy `content:encoded`."""
    feed = re.sub(
        r"<lastBuildDate>[^<]+</lastBuildDate>",
        f"<lastBuildDate>Mon, {rng.randrange(10, 28)} Jun 2024 09:00:00 +0000</lastBuildDate>",
        feed,
    )
    return re.sub(
        r"(<content:encoded><!\[CDATA\[)(.*?)(\]\]></content:encoded>)",
        lambda m: m.group(1) + _body_noise(m.group(2), rng) + m.group(3),
        feed,
        flags=re.S,
    )


def make_noisy(entry: Entry, rng: random.Random) -> bytes | None:
    """The noisy body for one recorded response, or None when its type is not randomized."""
    ctype = entry.headers.get("content-type", "")
    text = entry.body.decode("utf-8")
    if "html" in ctype:
        return noisy_html(text, rng).encode()
    if "atom" in ctype:
        return noisy_atom(text, rng).encode()
    if "json" in ctype:
        return noisy_json(text, rng).encode()
    if "rss" in ctype:
        return noisy_rss(text, rng).encode()
    return None


# -- test --------------------------------------------------------------------------------------


def _served(web: ReplayWeb, since: int) -> set[str]:
    """Real URLs answered 200/304 since request number `since` (robots.txt excluded)."""
    return {
        f"https://{r.host}{r.path}"
        for r in web.requests[since:]
        if r.status in (200, 304) and not r.path.startswith("/robots.txt")
    }


def _alerts_since(tl: Timeline, rowid: int) -> list[dict[str, Any]]:
    return list(tl.store.db.query("select * from alerts where rowid > ? order by rowid", [rowid]))


def _last_alert(tl: Timeline) -> int:
    return tl.store.db.execute("select coalesce(max(rowid), 0) from alerts").fetchone()[0]


def _apply(web: ReplayWeb, urls: set[str], fn: Callable[[Entry], bytes | None]) -> int:
    """Replace every response in `urls` by fn(original); returns how many were changed."""
    n = 0
    for url in sorted(urls):
        body = fn(web.entries[url])
        if body is not None:
            web.set(url, body)
            n += 1
    return n


@pytest.mark.slow
def test_volatile_markup_is_not_an_edit(web: ReplayWeb, tmp_path: Path) -> None:
    """G10: K ≥ 50 replayed responses, 5 noisy rounds → 0 edits; then one real edit → 1 alert."""
    # One database per set: a URL belongs to one source (posts.url is unique) and every set reads the
    # same posts.
    tls = [
        Timeline.open(
            web,
            tmp_path / name,
            list(HOST_OF.values()),
            fetch=FAST,
            sources=[{**s, "url": web.base(HOST_OF[s["name"]])} for s in group],
        )
        for name, group in (("html", HTML_SET), ("feed", FEED_SET), ("alt", ALT_SET))
    ]
    tl = tls[0]
    start = len(web.requests)
    for t in tls:
        backfill = t.poll()
        assert backfill.exit_code == 0, [(s.name, s.status, s.error) for s in backfill.sources]
    served = _served(web, start)
    originals = {u: web.entries[u] for u in served}
    html_pages = {u for u in served if "html" in originals[u].headers.get("content-type", "")}
    corpus_html = {
        u for u, e in web.entries.items() if e.status == 200 and "html" in e.headers["content-type"]
    }
    # Blogger's HTML path reads posts in full from the home and archive pages: its other post pages
    # and ?showComment= pages are never requested. Every other HTML page is.
    unread = corpus_html - html_pages
    assert unread and all(u.startswith("https://lukeakehurst.blogspot.com/") for u in unread), unread
    baseline = [content_rows(t.store) for t in tls]
    versions = [t.count("report_versions") for t in tls]
    comments = [t.count("comments") for t in tls]
    marks = [_last_alert(t) for t in tls]

    def poll_all(label: str) -> None:
        for t, mark, n_versions, n_comments in zip(tls, marks, versions, comments, strict=True):
            result = t.poll()
            assert result.exit_code == 0, [(s.name, s.status, s.error) for s in result.sources]
            alerts = [(a["kind"], a["url"], a["summary"]) for a in _alerts_since(t, mark)]
            assert [a for a in alerts if a[0] in NOT_A_CHANGE] == [], label
            assert t.count("report_versions") == n_versions, label
            assert t.count("comments") == n_comments, label
            assert t.count("posts", "removed_at is not null") == 0, label

    # (a) identical bytes: nothing at all.
    poll_all("same bytes")
    assert [content_rows(t.store) for t in tls] == baseline

    # (b) seeded noisy rounds over every replayed response.
    rng = random.Random(SEED)
    randomized = 0
    for round_ in range(ROUNDS):
        randomized = _apply(web, served, lambda e: make_noisy(e, rng))
        poll_all(f"round {round_}")
    k = len(served)
    assert k >= 50 and randomized == k, (k, randomized)

    # (c) one real edit, on a noisy round: exactly one report_edited, whose diff is that sentence.
    page = originals[LL_POST].body.decode()
    assert page.count(LL_OLD) == 1
    edited = Entry(200, originals[LL_POST].headers, page.replace(LL_OLD, LL_NEW).encode())
    _apply(web, served, lambda e: make_noisy(e, rng))
    web.set(LL_POST, make_noisy(edited, rng))
    tl.poll()
    [alert] = [a for a in _alerts_since(tl, marks[0]) if a["kind"] in NOT_A_CHANGE]
    assert alert["kind"] == "report_edited" and alert["url"].endswith("nec-report-november-4th-2014/")
    version = tl.one("select * from report_versions where kind = 'edit'")
    removed = [ln for ln in version["diff"].splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln for ln in version["diff"].splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert len(removed) == len(added) == 1, version["diff"]
    assert LL_OLD in removed[0] and LL_NEW in added[0]
    # The rest of the paragraph only differs by noise (the new page is a noisy rendering).
    assert normalized_text(removed[0].replace(LL_OLD, LL_NEW)[1:]) == normalized_text(added[0][1:])
    assert version["word_diff"].count("[-") == 3 and "[-pleased to be-]" in version["word_diff"]
    assert alert["summary"] == "Version 2: +5 −6 words"
    assert tl.count("report_versions") == versions[0] + 1
    print(
        f"\nG10: K={k} replayed responses ({len(html_pages)} HTML, {k - len(html_pages)} feed/REST), "
        f"{randomized} randomized per round, {ROUNDS} rounds: 0 false edits; 1 real edit → 1 report_edited"
    )
