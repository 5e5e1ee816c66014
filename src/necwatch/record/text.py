"""Paragraphs with stable ids, and sentences: the units every line of a record points to.

A paragraph's text is always a verbatim slice of the body (a bullet's text without its marker is
still one), so a quote found in a paragraph is a quote of the report. Everything here is linear in
the size of the body: line-by-line scans and regexes without nested quantifiers.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from necwatch.record.model import Paragraph

# Characters outside ASCII that no case-insensitive pattern can match with an ASCII letter and that
# lower() leaves alone (one character each): no-break space, £, ¼, curly quotes, dashes, bullets,
# ellipsis, currency signs. Not the letters ª º nor µ (which re.IGNORECASE folds with Greek mu).
_FOLD_UNSAFE = re.compile(
    r"[^\x00-\x7f\u00a0-\u00a9\u00ab-\u00b4\u00b6-\u00b9\u00bb-\u00bf\u2000-\u206f\u20a0-\u20cf]"
)


def folds_as_ascii(text: str) -> bool:
    """Whether `text` holds no letter outside ASCII, nor any character re.IGNORECASE folds with an ASCII
    letter: then `text.lower()` folds case exactly as re.IGNORECASE does, position for position, and a
    pattern's ASCII words match only its ASCII letters. True of ASCII text and of most reports (whose
    only non-ASCII characters are curly quotes, dashes, £ and bullets)."""
    return text.isascii() or _FOLD_UNSAFE.search(text) is None


# The characters outside ASCII that re.IGNORECASE matches with an ASCII letter (every code point
# checked): İ ı ſ K. İ is also the only character that lower() turns into two.
_FOLDS_WITH_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")


def lower_keeps_words(text: str) -> bool:
    """Whether `text.lower()` holds every ASCII word a case-insensitive pattern matches in `text`, at the
    same offsets: unless the text holds one of the four characters above. Weaker than folds_as_ascii
    (other letters may be there: "café"), it is enough for a substring test before a regex (a gate),
    which then runs on non-ASCII sentences too, instead of the regex alone."""
    return text.isascii() or _FOLDS_WITH_ASCII.search(text) is None


def paragraph_id(text: str) -> str:
    """An id from the paragraph's own text, so it survives edits elsewhere in the report."""
    return "p" + hashlib.blake2b(" ".join(text.split()).encode(), digest_size=5).hexdigest()


# A list marker at the start of a line: -, •, *, · and friends, "1." "1)" "(1)" "a)" "(a)" "iv)".
_MARKER = re.compile(
    r"(?:[-–—•·*▪◦●‣∙○■□➢➤►→]|\(?\d{1,2}[.)]|\(?[a-z]\)|[a-z]\.(?=[^\S\n]+[A-Z])"
    r"|\(?(?:ii|iii|iv|vi|vii|viii|ix)\))[^\S\n]+(?=\S)"
)
_BLOCK_SEP = re.compile(r"\n[ \t\r\f\v]*\n\s*")
LIST_LINE_MAX_CHARS = 300
"""A line after a "…:" line counts as a list entry only when it is this short or shorter."""
MAX_PARAGRAPHS = 20_000
"""A body is split into at most about this many paragraphs (a long report has 200); past it, the rest
is one last paragraph, so a degenerate 5 MB body of one-word lines costs what a long report does ×100."""
HEADING_MAX_CHARS = 90
_TABLE_GAP = re.compile(r"\S(?:\t|\s{3})")
HEADING_MAX_WORDS = 12
# A heading ending in ":" is a label, not a lead-in sentence ("The following were agreed:").
_LEAD_IN_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|said|says|say|asked|added|include[sd]?|including|follow(?:s|ed|ing)?"
    r"|agreed|noted|reported|told|explained|stated|wrote|has|have|had|we|i|he|she|they|it)\b",
    re.IGNORECASE,
)
_SMALL_WORDS = frozenset("a an and as at by for from in into of on or the to with & - – —".split())  # noqa: SIM905


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _line_spans(body: str, a: int, b: int) -> list[tuple[int, int]]:
    """Non-blank lines of body[a:b], as trimmed spans."""
    out = []
    start = a
    while start < b:
        nl = body.find("\n", start, b)
        end = b if nl < 0 else nl
        s, e = _strip_span(body, start, end)
        if s < e:
            out.append((s, e))
        start = end + 1
    return out


def _marker_end(body: str, a: int, b: int) -> int | None:
    """Where a list entry's text starts after its marker, or None when body[a:b] has no marker."""
    m = _MARKER.match(body, a, b)
    return m.end() if m else None


_TERMINAL = frozenset('.!?:;"”’)…')


def _block_parts(body: str, lines: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """A block's parts (line start, text start, end; text start > line start after a list
    marker): a line starts a new part when it has a marker, is a heading, or the line before
    ends a sentence (., !, ?, :, …) or is a heading; otherwise it continues the part above (a
    hard-wrapped line)."""
    if len(lines) == 1:
        s, e = lines[0]
        m = _marker_end(body, s, e)
        return [(s, s if m is None else m, e)]
    heads = [is_heading(body[s:e]) for s, e in lines]
    parts: list[tuple[int, int, int]] = []
    for i, (s, e) in enumerate(lines):
        m = _marker_end(body, s, e)
        following = body[lines[i + 1][0]] if i + 1 < len(lines) else "A"
        if m is not None:
            parts.append((s, m, e))
        elif (
            i == 0
            or body[lines[i - 1][1] - 1] in _TERMINAL
            or (heads[i - 1] and not body[s].islower())  # not "Jo Bloggs / is a …"
            or (following.isupper() and heads[i])  # a heading after a missing stop
            or (parts[-1][1] > parts[-1][0] and body[s].isupper())  # prose after a list entry
        ):
            parts.append((s, s, e))
        else:
            parts[-1] = (parts[-1][0], parts[-1][1], e)
    return parts


def _continues(body: str, prev: tuple[int, int, int, int], s: int, t: int) -> bool:
    """Whether the list entry marked body[s:t] ("3.") continues the entry before it ("2.")."""
    ps, pt = prev[0], prev[1]
    if pt == ps:
        return False
    a, b = body[ps:pt].strip(), body[s:t].strip()
    if len(a) < 2 or len(b) < 2 or a[-1] != b[-1] or (a[0] == "(") != (b[0] == "("):
        return False
    x, y = a.strip("().").lower(), b.strip("().").lower()
    if x.isdigit() and y.isdigit():
        return int(y) == int(x) + 1
    return len(x) == len(y) == 1 and ord(y) == ord(x) + 1


def _short_entry(text: str) -> bool:
    first = text[:1]
    return len(text) <= LIST_LINE_MAX_CHARS and (first.isupper() or first.isdigit() or first in "\"'“‘")


def _numbered_heading(text: str) -> bool:
    """The text of a numbered line alone in its block ("2. Registered supporters will pay £25"):
    numbering makes it a heading in sentence case too, if it is one short line with no final stop."""
    words = text.split()
    return (
        0 < len(words) <= HEADING_MAX_WORDS
        and len(text) <= HEADING_MAX_CHARS
        and "\n" not in text
        and (text[0].isupper() or text[0].isdigit() or text[0] in "\"'“‘")
        and text[-1] not in ".,;!"
    )


def is_heading(text: str) -> bool:
    """A short heading line: no final stop, few words, and Title Case, all capitals, a label
    ending in ":", or five words or fewer ("Treasurer's report", "Rule changes", "NEC ELECTIONS")."""
    if "\n" in text or len(text) > HEADING_MAX_CHARS or _TABLE_GAP.search(text):
        return False  # several lines, or a table's row
    words = text.split()
    if not words or len(words) > HEADING_MAX_WORDS:
        return False
    first = text[0]
    if not (first.isupper() or first.isdigit() or first in "\"'“‘"):
        return False
    last = text[-1]
    if last in ",!" or (last == "." and not text.endswith("...")):
        return False
    if last == "?" and len(words) < 2:
        return False
    if last == ":" or text.endswith(("...", "…")):
        return not _LEAD_IN_VERB.search(text)
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 1:
        return True
    if len(words) <= 5:
        return True
    content = [w for w in words if w.lower() not in _SMALL_WORDS and w[0].isalpha()]
    capitalised = sum(w[0].isupper() for w in content)
    return bool(content) and capitalised * 3 >= len(content) * 2


def split_paragraphs(body_text: str) -> tuple[Paragraph, ...]:
    """The body's paragraphs, each with a stable id.

    Paragraphs are separated by blank lines; inside a block, a line that follows a finished
    sentence or a heading starts a new paragraph (a body with one paragraph a line), while a
    hard-wrapped line continues its paragraph. A list entry is its own paragraph with
    `bullet=True` and its marker ("-", "•", "1)", "a)") left out of `text`; so are the short
    lines after a lead-in ending in ":" ("The following were agreed:"), so a decision can point
    to its bullet. Repeated texts get distinct ids by order of occurrence ("p…", "p…-2").
    Past MAX_PARAGRAPHS paragraphs the rest of the body is one last paragraph.
    """
    body = body_text
    raw: list[tuple[int, int, int, int]] = []  # line start, text start, end, block
    start = 0
    n = len(body)
    for block, sep in enumerate((*_BLOCK_SEP.finditer(body), None)):
        end = sep.start() if sep else n
        if len(raw) >= MAX_PARAGRAPHS:  # a degenerate body: the rest is one last paragraph
            s, e = _strip_span(body, start, n)
            if s < e:
                raw.append((s, s, e, block))
            break
        s, e = _strip_span(body, start, end)
        if s < e:
            lines = _line_spans(body, s, e)
            room = MAX_PARAGRAPHS - len(raw)
            if len(lines) > room:  # a block of a million one-word lines
                raw.extend((*part, block) for part in _block_parts(body, lines[:room]))
                raw.append((lines[room][0], lines[room][0], _strip_span(body, lines[room][0], n)[1], block))
                break
            raw.extend((*part, block) for part in _block_parts(body, lines))
        start = sep.end() if sep else n
    numbered: set[int] = set()
    for i, (s, t, e, block) in enumerate(raw):
        # "3. Leader's report" alone in its block, between paragraphs that are not list entries:
        # a numbered heading, kept whole.
        if (
            t > s
            and body[s].isalnum()
            and (i == 0 or (raw[i - 1][3] != block and not _continues(body, raw[i - 1], s, t)))
            and (i + 1 == len(raw) or (raw[i + 1][3] != block and raw[i + 1][0] == raw[i + 1][1]))
            and _numbered_heading(body[t:e])
        ):
            raw[i] = (s, s, e, block)
            numbered.add(i)
    seen: dict[str, int] = {}
    out: list[Paragraph] = []
    lead_in: int | None = None  # the block of the "…:" line whose list we are in
    marked_list = False
    for i, (line_start, s, e, block) in enumerate(raw):
        text = body[s:e]
        marked = s > line_start
        # Unmarked entries after a lead-in: short lines of its block, or (HTML list items become
        # paragraphs without markers) short paragraphs with no final stop, in an unmarked list;
        # in a list with markers only marked lines are entries.
        bullet = marked or (
            lead_in is not None
            and _short_entry(text)
            and not marked_list  # a list with markers: an unmarked line after it is prose
            and (block == lead_in or text[-1] not in ".!?:")
        )
        heading = i in numbered or (not bullet and is_heading(text))
        if text.endswith(":") and not heading and not marked:
            lead_in, marked_list = block, False
        elif bullet:
            marked_list = marked_list or marked
        else:
            lead_in = None
        pid = paragraph_id(text)
        count = seen.get(pid, 0) + 1
        seen[pid] = count
        out.append(
            Paragraph(
                id=pid if count == 1 else f"{pid}-{count}",
                index=len(out),
                text=text,
                heading=heading,
                bullet=bullet,
                start=s,
                marker=body[line_start:s].strip(),
            )
        )
    return tuple(out)


# Words after which a full stop does not end a sentence: titles, honorifics, common abbreviations.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof cllr cllrs rt hon st vs etc eg ie cf approx dept gen sec govt jr sr lt col cttee "  # noqa: SIM905
    "ltd inc co al vol fig nb jan feb apr jun jul aug sep sept oct nov dec est".split()
)
# Only before a number: "No. 10", "para. 4", "p. 12".
_NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "para", "p", "pp", "art", "cl"})
# A sentence ends at . ! ? … (and closing quotes/brackets) followed by space and a capital, digit or quote.
# Matched from the start of a run of stops only, without backtracking (a run of 100,000 dots
# was quadratic).
# The first stop is matched before the look-behind that says it starts the run, so the regex engine
# skips to each stop character at C speed (a pattern opening with a look-behind tries every position:
# three times slower).
_END = re.compile(r"[.!?…](?<![.!?…].)[.!?…]*+[\"'”’)\]]*+(?=\s+[\"'“‘(\[]?[A-Z0-9£])")
_NEXT_CHAR = re.compile(r"\s*(\S)")
_LAST_WORD = re.compile(r"(\w+)$")


def _no_break(text: str, stop: int, after: int, floor: int) -> bool:
    """Whether the full stop at `stop` ends an abbreviation or initial, not a sentence."""
    word = _LAST_WORD.search(text, max(floor, stop - 12), stop)
    if not word:
        return False
    w = word.group(1)
    if w.lower() in _ABBREVIATIONS:
        return True
    if len(w) == 1 and (w.isupper() or (word.start() > 0 and text[word.start() - 1] == ".")):
        return True  # "J. Smith", "e.g. Labour", "U.K. Labour"
    if w.lower() not in _NUMBER_ABBREVIATIONS:
        return False
    nxt = _NEXT_CHAR.match(text, after)  # not text[after:]: a copy of the rest at every stop
    return nxt is not None and nxt.group(1).isdigit()


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, trimmed of surrounding space.

    Rule-based and linear: a stop ends a sentence unless it follows an abbreviation ("Cllr.",
    "e.g.", "No. 10") or a single capital initial ("J. Smith").
    """
    return list(_sentences(text))


# Meeting, items, people, decisions and statements all read a paragraph's sentences: split once.
@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        if m.group()[0] == "." and m.group()[:3] != "..." and _no_break(text, m.start(), m.end(), start):
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        a, b = _strip_span(text, a, b)
        if a < b:
            out.append((a, b))
    return tuple(out)
