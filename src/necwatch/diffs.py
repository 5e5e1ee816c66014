"""Readable differences between two versions of a text: a unified diff by paragraph and a word diff.

Paragraphs and words are matched by their normalized form (`normalize.normalized_text`), so noise
that is not an edit (whitespace runs, curly vs straight quotes, dash variants, tracking parameters)
never shows up as a change next to a real one; the text shown is the served text.

Bounded cost: difflib's matcher is cubic on repetitive text (400 near-identical paragraphs: 8 s, 800:
72 s), and it runs in a poll's write. Words are matched directly only while the product of the two
lengths is at most WORD_PAIRS (about 0.3 s at worst): today's exact result, which every ordinary
edit of a post of up to about 1,000 words gets. Longer texts are matched by paragraph first (at most
PARAGRAPH_PAIRS; beyond it the common first and last paragraphs are set aside and the rest is one
changed run), then word by word within each changed run of paragraphs; a run too long for that is
matched by sentence the same way, and a run of sentences too long, sentence by sentence in place
(as `html` pairs paragraphs); one pair still over the bound, once its common first and last words
are set aside, is shown replaced whole. An edit within paragraphs
reads as it did (a deleted paragraph that began with the same word as the next one now reads as
deleted whole); the cost of any edit is bounded.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from html import escape

from necwatch.normalize import normalized_text

_MAX_WORD_DIFF = 20_000
WORD_PAIRS = 1_000_000  # len(a) × len(b) words matched directly by difflib (~0.3 s at worst)
PARAGRAPH_PAIRS = 500_000  # the same bound for paragraphs (lines: ~0.15 s at worst)

Opcode = tuple[str, int, int, int, int]


def _matcher(a: list[str], b: list[str], *, autojunk: bool = False) -> difflib.SequenceMatcher[str]:
    return difflib.SequenceMatcher(
        a=[normalized_text(x) for x in a], b=[normalized_text(x) for x in b], autojunk=autojunk
    )


def _bounded(a: list[str], b: list[str], pairs: int, *, autojunk: bool = False) -> list[Opcode]:
    """difflib's opcodes of already-normalized `a` and `b` when len(a) × len(b) <= pairs; else the
    common first and last items equal and, if the middle is still over the bound, it replaced whole."""
    if len(a) * len(b) <= pairs:
        return list(difflib.SequenceMatcher(a=a, b=b, autojunk=autojunk).get_opcodes())
    head = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        head += 1
    tail = 0
    for x, y in zip(reversed(a[head:]), reversed(b[head:]), strict=False):
        if x != y:
            break
        tail += 1
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    ops: list[Opcode] = [("equal", 0, head, 0, head)] if head else []
    if len(mid_a) * len(mid_b) <= pairs:
        inner = difflib.SequenceMatcher(a=mid_a, b=mid_b, autojunk=autojunk).get_opcodes()
        ops += [(t, i1 + head, i2 + head, j1 + head, j2 + head) for t, i1, i2, j1, j2 in inner]
    elif mid_a or mid_b:
        tag = "replace" if mid_a and mid_b else ("delete" if mid_a else "insert")
        ops.append((tag, head, head + len(mid_a), head, head + len(mid_b)))
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return ops


def _word_ops(old: str, new: str) -> tuple[list[str], list[str], list[Opcode]]:
    """(old's words, new's words, the opcodes between them), at a bounded cost (see the module)."""
    a, b = old.split(), new.split()
    if len(a) * len(b) <= WORD_PAIRS:
        return a, b, list(_matcher(a, b).get_opcodes())
    norm_a, norm_b = [normalized_text(w) for w in a], [normalized_text(w) for w in b]
    ops: list[Opcode] = []
    _match_units(ops, norm_a, norm_b, _paragraphs(old), _paragraphs(new), sentences=False)
    return a, b, ops


def _paragraphs(text: str) -> list[int]:
    """Where each paragraph (line) starts in the text's words, and the word count last."""
    starts = [0]
    for line in text.splitlines():
        if count := len(line.split()):
            starts.append(starts[-1] + count)
    return starts


def _sentences(words: list[str], start: int, stop: int) -> list[int]:
    """Where each sentence of words[start:stop] starts, and `stop` last."""
    starts = [start]
    for k in range(start, stop - 1):
        if words[k].endswith((".", "!", "?", ";")):
            starts.append(k + 1)
    starts.append(stop)
    return starts


def _match_units(
    ops: list[Opcode], na: list[str], nb: list[str], ua: list[int], ub: list[int], *, sentences: bool
) -> None:
    """Match the words of two runs of units (paragraphs, or sentences; `ua`/`ub` their starts and
    end): the units first, then words within each changed run of units; a run too long for that is
    cut into sentences, or matched unit by unit in place."""
    keys_a = [" ".join(na[ua[k] : ua[k + 1]]) for k in range(len(ua) - 1)]
    keys_b = [" ".join(nb[ub[k] : ub[k + 1]]) for k in range(len(ub) - 1)]
    for tag, p1, p2, q1, q2 in _bounded(keys_a, keys_b, PARAGRAPH_PAIRS):
        i1, i2, j1, j2 = ua[p1], ua[p2], ub[q1], ub[q2]
        if tag == "equal":
            _append(ops, ("equal", i1, i2, j1, j2))
        elif (i2 - i1) * (j2 - j1) <= WORD_PAIRS:
            _words(ops, na, nb, i1, i2, j1, j2)
        elif not sentences:
            _match_units(ops, na, nb, _sentences(na, i1, i2), _sentences(nb, j1, j2), sentences=True)
        else:  # unit by unit, in place (as `html` pairs paragraphs); the rest deleted or added
            pairs = min(p2 - p1, q2 - q1)
            for k in range(pairs):
                _words(ops, na, nb, ua[p1 + k], ua[p1 + k + 1], ub[q1 + k], ub[q1 + k + 1])
            _words(ops, na, nb, ua[p1 + pairs], i2, ub[q1 + pairs], j2)


def _words(ops: list[Opcode], na: list[str], nb: list[str], i1: int, i2: int, j1: int, j2: int) -> None:
    for t, x1, x2, y1, y2 in _bounded(na[i1:i2], nb[j1:j2], WORD_PAIRS):
        _append(ops, (t, x1 + i1, x2 + i1, y1 + j1, y2 + j1))


def _append(ops: list[Opcode], op: Opcode) -> None:
    """Add an opcode, joining it to the run of the same kind it continues (as difflib's are)."""
    tag, i1, i2, j1, j2 = op
    if i1 == i2 and j1 == j2:
        return
    if ops and ops[-1][0] != "equal" and tag != "equal":
        _, a1, _, b1, _ = ops[-1]
        ops[-1] = ("replace" if (i2 > a1) and (j2 > b1) else tag, a1, i2, b1, j2)
    elif ops and tag == "equal" and ops[-1][0] == "equal":
        ops[-1] = ("equal", ops[-1][1], i2, ops[-1][3], j2)
    else:
        ops.append(op)


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
    keys_a, keys_b = [normalized_text(x) for x in a], [normalized_text(x) for x in b]
    for group in _grouped(_bounded(keys_a, keys_b, PARAGRAPH_PAIRS, autojunk=True), 1):
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


def _grouped(codes: list[Opcode], n: int) -> Iterator[list[Opcode]]:
    """difflib.SequenceMatcher.get_grouped_opcodes, of opcodes already computed (by `_bounded`)."""
    codes = list(codes) or [("equal", 0, 1, 0, 1)]
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > n + n:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def words(old: str, new: str) -> str:
    """Word-level changes only, as `[-removed-]` / `{+added+}` with a few words of context."""
    a, b, ops = _word_ops(old, new)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in ops:
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
    added = removed = 0
    for tag, i1, i2, j1, j2 in _word_ops(old, new)[2]:
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
    a, b, ops = _word_ops(old, new)
    parts: list[str] = []
    for tag, i1, i2, j1, j2 in ops:
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
