"""Ghost's JSON: a Content API post object → Post, and the members API's comments (Ghost 5's
native comments) → Comments with their replies. Pure. See the package docstring."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from necwatch.errors import ParseError
from necwatch.extract.text import html_to_text
from necwatch.models import Comment, Post
from necwatch.sources.ghost.pages import CHROME
from necwatch.sources.hosted import clean_fragment, json_of, when

__all__ = ["api_post", "parse_comments"]


def api_post(obj: dict[str, Any], *, url: str, tz: ZoneInfo, default_author: str | None) -> Post:
    """One Content API post object → Post (via="api"). ParseError when it has no url or title."""
    link, title = obj.get("url"), obj.get("title")
    if not isinstance(link, str) or not isinstance(title, str):
        raise ParseError("post object without url or title", url=url, kind="unexpected_page")
    body_html = clean_fragment(str(obj.get("html") or ""), CHROME)
    authors = [str(a["name"]) for a in obj.get("authors") or () if isinstance(a, dict) and a.get("name")]
    tags = [
        str(t["name"])
        for t in obj.get("tags") or ()
        if isinstance(t, dict) and t.get("name") and t.get("visibility", "public") == "public"
    ]
    return Post(
        url=urljoin(url, link),
        title=title,
        body_html=body_html,
        body_text=html_to_text(body_html),
        platform_id=str(obj["id"]) if obj.get("id") else None,
        author=", ".join(dict.fromkeys(authors)) or default_author,
        published_at=when(obj.get("published_at"), tz),
        updated_at=when(obj.get("updated_at"), tz),
        labels=tuple(tags),
        via="api",
        is_excerpt=obj.get("visibility", "public") != "public",
    )


def parse_comments(url: str, text: str, tz: ZoneInfo) -> tuple[list[Comment], list[str], int | None]:
    """A members comments answer → (comments with their inline replies, ids of comments with more
    replies than shown, the next page or None)."""
    doc = json_of(url, text)
    items = doc.get("comments") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ParseError("no comments list", url=url, kind="unexpected_page")
    out: list[Comment] = []
    more: list[str] = []
    for obj in items:
        if not isinstance(obj, dict) or not obj.get("id"):
            continue
        replies = [r for r in obj.get("replies") or () if isinstance(r, dict)]
        for item in (obj, *replies):
            if item.get("html") and item.get("status", "published") == "published":
                out.append(_comment(item, tz, parent=None if item is obj else str(obj["id"])))
        count = obj.get("count")
        shown = count.get("replies") if isinstance(count, dict) else None
        if isinstance(shown, int) and shown > len(replies):
            more.append(str(obj["id"]))
    pagination = (doc.get("meta") or {}).get("pagination") or {}
    nxt = pagination.get("next") if isinstance(pagination, dict) else None
    return out, more, nxt if isinstance(nxt, int) else None


def _comment(obj: dict[str, Any], tz: ZoneInfo, parent: str | None) -> Comment:
    member = obj.get("member")
    name = member.get("name") if isinstance(member, dict) else None
    html = str(obj["html"])
    return Comment(
        platform_id=str(obj["id"]),
        author=str(name or "").strip() or "Anonymous",
        body_text=html_to_text(html),
        body_html=html,
        published_at=when(obj.get("created_at"), tz),
        parent_id=str(obj.get("parent_id") or parent) if (obj.get("parent_id") or parent) else None,
    )
