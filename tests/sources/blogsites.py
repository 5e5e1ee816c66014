"""Small made-up blogs (our own text, no third-party pages) served by ReplayWeb from a temp corpus:
a full-content RSS blog, an excerpt-only RSS blog with WordPress-like pages, an Atom blog, a JSON
Feed blog, a site advertising its feed only in <link rel="alternate">, and a site with no platform."""

from __future__ import annotations

import json
from pathlib import Path

from necwatch.replay import ReplayWeb

RSS = "application/rss+xml; charset=UTF-8"
ATOM = "application/atom+xml; charset=UTF-8"
HTML = "text/html; charset=UTF-8"
JSONFEED = "application/feed+json; charset=UTF-8"

REPORT_PARAS = [
    "The NEC met on Tuesday 23 January and began with tributes to members who had died.",
    "The general secretary reported on preparations for the general election and on party finances.",
    "The organisation committee agreed the timetable for selections in the remaining seats.",
    "Questions were raised about the handling of complaints, and a paper will come to the next meeting.",
    "That is all from this meeting; as ever, get in touch if you have questions.",
]
REPORT_TEXT = "\n\n".join(REPORT_PARAS)
REPORT_HTML = "".join(f"<p>{p}</p>" for p in REPORT_PARAS)
OTHER_TEXT = "Canvassing in the rain on Saturday was cheerful anyway: thanks to everyone who came."
EXCERPT = "The NEC met on Tuesday 23 January and began with tributes to members who had died. [&#8230;]"


def serve(
    tmp: Path, pages: dict[str, tuple[str | bytes, str]], headers: dict[str, dict[str, str]] | None = None
) -> ReplayWeb:
    """A started ReplayWeb serving `pages` (real URL → (body, content type))."""
    root = tmp / "web"
    root.mkdir(exist_ok=True)
    manifest = []
    for i, (url, (body, ctype)) in enumerate(pages.items()):
        name = f"f{i}"
        (root / name).write_bytes(body.encode() if isinstance(body, str) else body)
        manifest.append(
            {
                "url": url,
                "file": name,
                "status": 200,
                "headers": {"content-type": ctype, **(headers or {}).get(url, {})},
            }
        )
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return ReplayWeb(root=root).start()


def rss(site: str, items: list[str], *, title: str = "A Labour blog") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/">'
        f"<channel><title>{title}</title><link>{site}</link><description>x</description>{''.join(items)}"
        "</channel></rss>"
    )


def rss_item(
    link: str,
    title: str,
    *,
    content: str | None,
    description: str,
    date: str,
    categories: tuple[str, ...] = (),
    comments: int | None = None,
    comment_feed: str | None = None,
) -> str:
    cats = "".join(f"<category><![CDATA[{c}]]></category>" for c in categories)
    full = f"<content:encoded><![CDATA[{content}]]></content:encoded>" if content is not None else ""
    extra = f"<slash:comments>{comments}</slash:comments>" if comments is not None else ""
    extra += f"<wfw:commentRss>{comment_feed}</wfw:commentRss>" if comment_feed else ""
    return (
        f"<item><title>{title}</title><link>{link}</link><guid isPermaLink='false'>{link}</guid>"
        f"<dc:creator><![CDATA[Jo Member]]></dc:creator><pubDate>{date}</pubDate>{cats}"
        f"<description><![CDATA[{description}]]></description>{full}{extra}</item>"
    )


def wp_page(title: str, body_html: str, *, published: str) -> str:
    """A WordPress-like single post page: theme chrome, sharing inside the body, JSON-LD, og meta."""
    ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": title,
            "datePublished": published,
            "author": {"@type": "Person", "name": "Jo Member"},
        }
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='UTF-8'><title>" + title + " – Jo's blog</title>"
        "<meta name='generator' content='WordPress 6.4.2'>"
        f"<meta property='og:title' content='{title}'>"
        f"<meta property='article:published_time' content='{published}'>"
        f"<script type='application/ld+json'>{ld}</script></head>"
        "<body class='single single-post postid-77'><header><h1 class='site-title'>Jo's blog</h1></header>"
        f"<main><article id='post-77'><h1 class='entry-title'>{title}</h1>"
        f"<div class='entry-content'>{body_html}"
        "<div id='jp-post-flair'>Share this: Twitter Facebook</div></div>"
        "</article></main><aside>Recent posts</aside><footer>Powered by WordPress</footer></body></html>"
    )
