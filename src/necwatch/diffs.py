"""Readable differences between two versions of a text: a unified diff by paragraph and a word diff."""

from __future__ import annotations

import difflib
from html import escape

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


def html(unified_diff: str) -> str:
    """A unified diff (from `unified`) as readable HTML: removed paragraphs in <del>, added in <ins>,
    and a removed/added pair shown word by word, so a typo fix reads as one changed word.

    The text is escaped here; callers still pass the result through clean_html before publishing.
    """
    out: list[str] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        pairs = min(len(removed), len(added))
        for old, new in zip(removed[:pairs], added[:pairs], strict=True):
            out.append("<p>" + _inline(old, new) + "</p>")
        out.extend(f"<p><del>{_esc(line)}</del></p>" for line in removed[pairs:])
        out.extend(f"<p><ins>{_esc(line)}</ins></p>" for line in added[pairs:])
        removed.clear()
        added.clear()

    for line in unified_diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            flush()
            out.append("<hr>")
        elif line.startswith("-"):
            removed.append(line[1:])
        elif line.startswith("+"):
            added.append(line[1:])
        else:
            flush()
            out.append(f"<p>{_esc(line[1:])}</p>")
    flush()
    if out and out[0] == "<hr>":
        out.pop(0)
    return "\n".join(out)


def _inline(old: str, new: str) -> str:
    a, b = old.split(), new.split()
    parts: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(_esc(" ".join(a[i1:i2])))
            continue
        if i2 > i1:
            parts.append("<del>" + _esc(" ".join(a[i1:i2])) + "</del>")
        if j2 > j1:
            parts.append("<ins>" + _esc(" ".join(b[j1:j2])) + "</ins>")
    return " ".join(parts)


def _esc(text: str) -> str:
    return escape(text, quote=False)
