"""Readable differences between two versions of a text: a unified diff by paragraph and a word diff."""

from __future__ import annotations

import difflib

_MAX_WORD_DIFF = 20_000


def unified(old: str, new: str, *, old_label: str = "before", new_label: str = "after") -> str:
    """A unified diff with one line per paragraph (body text keeps paragraphs on their own lines)."""
    a = [line for line in old.splitlines() if line.strip()]
    b = [line for line in new.splitlines() if line.strip()]
    return "\n".join(difflib.unified_diff(a, b, old_label, new_label, lineterm="", n=1))


def words(old: str, new: str) -> str:
    """Word-level changes only, as `[-removed-]` / `{+added+}` with a few words of context."""
    a, b = old.split(), new.split()
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            if i2 - i1 > 12:
                out.append(" ".join(a[i1 : i1 + 5]) + " … " + " ".join(a[i2 - 5 : i2]))
            else:
                out.append(" ".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    text = " ".join(part for part in out if part)
    return text if len(text) <= _MAX_WORD_DIFF else text[:_MAX_WORD_DIFF] + " …"


def summary(old: str, new: str) -> str:
    """'+12 −3 words' style one-liner for alert summaries."""
    a, b = old.split(), new.split()
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return f"+{added} −{removed} words"
