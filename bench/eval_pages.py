"""Score `necwatch inspect` over a directory of saved pages against a manifest of expected fields.

    python bench/eval_pages.py DIR [--manifest DIR/manifest.json] [--show-misses]

The manifest maps each file name to what a careful reader sees on the page (written by hand):

    {"page.html": {"url": "https://…", "platform": "blogger" | "wordpress.com" | "wordpress" | "other",
                   "title": "…", "author": "…" | null, "published": "YYYY-MM-DD" | null,
                   "body_start": "first words", "body_end": "last words", "comment_count": 3 | null}}

A field is right when: title and author equal (whitespace and case folded; an expected null author
is right when necwatch gives none), published has the same day, body_start occurs in the first 400
characters of body_text and body_end in its last 400, comment_count equal (a key left out is not
scored). A page without output (extraction failed) counts every field wrong. Prints per-field and
per-platform accuracy, and the pages without output. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import necwatch.sources  # noqa: F401  (platform markup readers)
from necwatch.inspection import inspect_target

FIELDS = ("title", "author", "published", "body_start", "body_end", "comment_count")


def _fold(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def score(expected: dict[str, Any], post: dict[str, Any] | None) -> dict[str, bool]:
    """Field → right or wrong, for the fields the manifest gives."""
    out: dict[str, bool] = {}
    body = " ".join((post or {}).get("body_text", "").split())
    for name in FIELDS:
        if name not in expected:
            continue
        want = expected[name]
        if post is None:
            out[name] = False
        elif name in ("title", "author"):
            out[name] = _fold(post.get(name)) == _fold(want)
        elif name == "published":
            out[name] = (post.get("published_at") or "")[:10] == (want or "")
        elif name == "body_start":
            out[name] = _fold(want) in _fold(body[:400])
        elif name == "body_end":
            out[name] = _fold(want) in _fold(body[-400:])
        else:
            out[name] = post.get("comment_count") == want
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dir", type=Path)
    parser.add_argument("--manifest", type=Path)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    manifest = json.loads((args.manifest or args.dir / "manifest.json").read_text(encoding="utf-8"))
    by_field: dict[str, list[bool]] = defaultdict(list)
    by_platform: dict[str, list[bool]] = defaultdict(list)
    failed: list[str] = []
    start = time.perf_counter()
    for name, expected in sorted(manifest.items()):
        text = (args.dir / name).read_bytes().decode("utf-8", errors="replace")
        result = inspect_target(text, expected["url"], target=name)
        post = result.posts[0] if result.posts else None
        if post is None:
            failed.append(f"{name}: {result.error}")
        for field, ok in score(expected, post).items():
            by_field[field].append(ok)
            by_platform[expected.get("platform", "other")].append(ok)
            if not ok and args.show_misses:
                got = None if post is None else post.get({"published": "published_at"}.get(field, field))
                print(f"  miss {name} {field}: want {expected[field]!r} got {str(got)[:80]!r}")
    elapsed = time.perf_counter() - start
    everything = [ok for oks in by_field.values() for ok in oks]
    print(f"{len(manifest)} pages, {len(everything)} fields, {elapsed:.1f} s")
    for label, table in (("field", by_field), ("platform", by_platform)):
        for key, oks in sorted(table.items()):
            print(f"  {label:8} {key:14} {sum(oks):4}/{len(oks):<4} {100 * sum(oks) / len(oks):5.1f} %")
    right, total = sum(everything), len(everything)
    print(f"  all                     {right:4}/{total:<4} {100 * right / total:5.1f} %")
    print(f"  pages without output: {len(failed)}")
    for line in failed:
        print(f"    {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
