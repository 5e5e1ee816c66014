"""An output scanner: executable payloads in HTML or Atom (RELIABILITY G13)."""

from __future__ import annotations

import base64
import hashlib
import re

from bs4 import BeautifulSoup
from lxml import etree

from necwatch.publish.plugin import inline_script_hashes

URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "data", "poster", "background")
FORBIDDEN_TAGS = ("iframe", "object", "embed", "frame", "frameset", "base", "form")


def _datasette_script(tag: object) -> bool:
    src = tag.get("src")  # type: ignore[attr-defined]
    if src:
        return src.startswith("/-/static/") or src.startswith("/necwatch-static/")
    body = tag.string or ""  # type: ignore[attr-defined]
    digest = "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
    return digest in inline_script_hashes()


def html_payloads(text: str) -> list[str]:
    """Every executable thing in an HTML page that Datasette itself did not put there."""
    soup = BeautifulSoup(text, "lxml")
    found = []
    for tag in soup.find_all(True):
        if tag.name == "script" and not _datasette_script(tag):
            found.append(f"script: {str(tag)[:80]}")
        if tag.name in FORBIDDEN_TAGS and not (tag.name == "form" and tag.get("action", "").startswith("/")):
            found.append(f"<{tag.name}>: {str(tag)[:80]}")
        if tag.name == "meta" and tag.get("http-equiv", "").lower() == "refresh":
            found.append(f"meta refresh: {tag}")
        for attr, value in tag.attrs.items():
            if attr.lower().startswith("on"):
                found.append(f"{attr}= on <{tag.name}>")
            if attr.lower() in URL_ATTRS:
                v = re.sub(r"[\s\x00-\x1f]", "", str(value)).lower()
                if v.startswith(("javascript:", "vbscript:", "data:text/html")):
                    found.append(f"{attr}={value!r} on <{tag.name}>")
    return found


def atom_payloads(xml: bytes) -> list[str]:
    """Payloads inside an Atom document's titles and (HTML-escaped) content."""
    root = etree.fromstring(xml)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    found = []
    for el in list(root.iterfind(".//a:content", ns)) + list(root.iterfind(".//a:summary", ns)):
        if el.get("type") in ("html", "xhtml"):
            found += html_payloads(el.text or "")
        elif "<script" in (el.text or "").lower():
            found.append("script in text content")
    for el in root.iterfind(".//a:link", ns):
        if (el.get("href") or "").strip().lower().startswith("javascript:"):
            found.append(f"link href {el.get('href')}")
    return found
