"""Readable differences between two versions of a text: a unified diff by paragraph and a word diff.

Paragraphs and words are matched by their normalized form (`normalize.normalized_text`), so noise
that is not an edit (whitespace runs, curly vs straight quotes, dash variants, tracking parameters)
never shows up as a change next to a real one; the text shown is the served text.
"""

from __future__ import annotations

import difflib
from html import escape

from necwatch.normalize import normalized_text

_MAX_WORD_DIFF = 20_000


def _matcher(a: list[str], b: list[str], *, autojunk: bool = False) -> difflib.SequenceMatcher[str]:
    return difflib.SequenceMatcher(
        a=[normalized_text(x) for x in a], b=[normalized_text(x) for x in b], autojunk=autojunk
    )


def _range(start: int, stop: int) -> str:
    """A unified diff hunk range, as difflib writes it."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def unified(old: str, new: str, *, old_label: str = "before", new_label: str = "after") -> str:
    """A unified diff with one line per paragraph (body text keeps paragraphs on their own lines)."""
    a = [line for line in old.splitlines() if line.strip()]
    b = [line for line in new.splitlines() if line.strip()]
    out: list[str] = []
    for group in _matcher(a, b, autojunk=True).get_grouped_opcodes(1):
        if not out:
            out += [f"--- {old_label}", f"+++ {new_label}"]
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in b[j1:j2]]
                continue
            out += ["-" + line for line in a[i1:i2]]
            out += ["+" + line for line in b[j1:j2]]
    return "\n".join(out)


def words(old: str, new: str) -> str:
    """Word-level changes only, as `[-removed-]` / `{+added+}` with a few words of context."""
    a, b = old.split(), new.split()
    out: list[str] = []
    matcher = _matcher(a, b)
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
    for tag, i1, i2, j1, j2 in _matcher(a, b).get_opcodes():
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
    for tag, i1, i2, j1, j2 in _matcher(a, b).get_opcodes():
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
