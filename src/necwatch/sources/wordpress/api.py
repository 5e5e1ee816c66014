"""WordPress REST API (`/wp-json/wp/v2/…`) → posts, comments, term ids and author names (pure)."""

from __future__ import annotations

import html as html_lib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timezone
from typing import Any
from urllib.parse import urljoin

from necwatch.errors import ParseError
from necwatch.extract.dates import in_utc_range
from necwatch.extract.text import html_to_text
from necwatch.models import Comment, Post, Response
from necwatch.sources.wordpress.common import _json, clean_body_html, fragment_text_raw, split_title

# -- REST API -----------------------------------------------------------------------------------


def rest_datetime(local: str | None, gmt: str | None, *, url: str = "") -> datetime | None:
    """WordPress REST `date` + `date_gmt` (both without offset) → aware datetime with the site's offset.

    The offset is the difference of the two, so the value reads as the site printed it
    ("2019-09-19T08:05:37+01:00"). With only one of them: `date_gmt` as UTC; neither → None.
    """
    try:
        naive_gmt = datetime.fromisoformat(gmt) if gmt else None
        naive_local = datetime.fromisoformat(local) if local else None
    except (TypeError, ValueError) as e:  # TypeError: a number or an object where a string belongs
        raise ParseError(f"bad REST date {local!r}/{gmt!r}", url=url) from e
    if naive_gmt is None:
        return None
    if naive_local is None:
        return naive_gmt.replace(tzinfo=UTC)
    try:  # a difference of a day or more is no UTC offset: the GMT time alone is certain
        return in_utc_range(naive_local.replace(tzinfo=timezone(naive_local - naive_gmt)))
    except ValueError:
        return naive_gmt.replace(tzinfo=UTC)


def parse_rest_term_id(url: str, data: bytes | str) -> int:
    """`tags?slug=X` / `categories?slug=X` / `users?slug=X` → the id. ParseError when nothing matched."""
    items = _json(url, data)
    if not isinstance(items, list):
        raise ParseError("expected a JSON list", url=url, kind="unexpected_page")
    if not items:
        raise ParseError("no term or user with this slug", url=url, selector="slug")
    try:
        return int(items[0]["id"])
    except (KeyError, TypeError, ValueError) as e:
        raise ParseError("no id in the first item", url=url, kind="unexpected_page") from e


def parse_rest_user_name(url: str, data: bytes | str) -> str:
    """`users/ID` → the display name."""
    obj = _json(url, data)
    name = obj.get("name") if isinstance(obj, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ParseError("user has no name", url=url, selector="name")
    return name.strip()


def parse_rest_post(
    obj: Mapping[str, Any],
    *,
    url: str,
    author: str | None = None,
    labels: Sequence[str] = (),
) -> Post:
    """One REST post object → Post. `url` is the API URL it came from (for errors and relative links).

    `author` is the display name (the object only has an id); `labels` the tag names if resolved.
    """
    try:
        link = urljoin(url, str(obj["link"]))
        rendered_title = str(obj["title"]["rendered"])
        content = str(obj["content"]["rendered"])
    except (KeyError, TypeError) as e:
        raise ParseError(f"post object without {e}", url=url, kind="unexpected_page") from e
    title, title_raw = split_title(fragment_text_raw(rendered_title))
    body_html = clean_body_html(content)
    return Post(
        url=link,
        title=title,
        title_raw=title_raw,
        body_html=body_html,
        body_text=html_to_text(body_html),
        platform_id=str(obj["id"]) if obj.get("id") is not None else None,
        author=author,
        published_at=rest_datetime(obj.get("date"), obj.get("date_gmt"), url=url),
        updated_at=rest_datetime(obj.get("modified"), obj.get("modified_gmt"), url=url),
        labels=tuple(labels),
        via="rest",
    )


def parse_rest_posts(
    url: str,
    data: bytes | str,
    *,
    authors: Mapping[int, str] | None = None,
    default_author: str | None = None,
    skipped: list[ParseError] | None = None,
) -> list[tuple[Post, int | None]]:
    """A `posts?…` page → [(Post, author id)]; the author name is taken from `authors` when known.

    With `skipped`, a post object that cannot be read (a value of the wrong type) is left out and
    its error, naming the post's link when it has one, appended there: one odd post fails alone.
    Without it, the whole page fails."""
    items = _json(url, data)
    if not isinstance(items, list):
        raise ParseError("expected a JSON list of posts", url=url, kind="unexpected_page")
    out = []
    for obj in items:
        try:
            if not isinstance(obj, dict):
                raise ParseError("post is not an object", url=url, kind="unexpected_page")
            author_id = obj.get("author") if isinstance(obj.get("author"), int) else None
            name = (authors or {}).get(author_id, default_author) if author_id is not None else default_author
            out.append((parse_rest_post(obj, url=url, author=name), author_id))
        except ParseError as e:
            if skipped is None or e.kind == "too_complex":
                raise
            link = obj.get("link") if isinstance(obj, dict) else None
            where = urljoin(url, link) if isinstance(link, str) and link else url
            skipped.append(ParseError(f"post object unreadable: {e}", url=where, kind="unexpected_page"))
    return out


def parse_rest_comments(url: str, data: bytes | str) -> list[Comment]:
    """A `comments?post=ID` page → comments, oldest first, `parent` 0 → None."""
    items = _json(url, data)
    if not isinstance(items, list):
        raise ParseError("expected a JSON list of comments", url=url, kind="unexpected_page")
    comments = []
    for obj in items:
        try:
            body_html = str(obj["content"]["rendered"])
            cid = str(obj["id"])
        except (KeyError, TypeError) as e:
            raise ParseError(f"comment without {e}", url=url, kind="unexpected_page") from e
        parent = obj.get("parent") or None
        comments.append(
            Comment(
                platform_id=cid,
                author=html_lib.unescape(str(obj.get("author_name") or "")).strip() or "Anonymous",
                body_text=html_to_text(body_html),
                body_html=body_html,
                published_at=rest_datetime(obj.get("date"), obj.get("date_gmt"), url=url),
                parent_id=str(parent) if parent else None,
                author_url=obj.get("author_url") or None,
                url=urljoin(url, obj["link"]) if obj.get("link") else None,
            )
        )
    return sorted(comments, key=lambda c: (c.published_at is None, c.published_at, _int(c.platform_id)))


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _total_pages(response: Response) -> int:
    try:
        return max(1, int(response.headers.get("x-wp-totalpages", "1")))
    except ValueError:
        return 1
