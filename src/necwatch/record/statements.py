"""Statements: "X said / asked / reported / argued …" and members' stated votes ("I voted in favour").

A statement is one sentence with a named or titled speaker ("Keir", "David Evans", "the General
Secretary", "I", "Several members") and a verb of speech. "He"/"She" take the previous sentence's
subject in the same paragraph when it is one person, else the sentence is skipped. Vague speakers
("some members", "people", "it") are skipped. A member's stated vote ("I voted against", "Ann and
I voted for it", "I abstained") is a statement with `vote`; it is never the NEC's outcome.

Also home of the name helpers the decisions part uses for movers and seconders: both read a
name phrase as written, by walking a bounded number of words, never with a backtracking regex.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from necwatch.record.model import Paragraph, Statement
from necwatch.record.text import sentences


def _words(text: str) -> list[str]:
    """A word list written as one string (easier to read and extend than a list of quoted words)."""
    return text.split()


# Speech verbs, as the genre writes them (past tense, reported speech).
_VERBS = _words(
    "said says asked reported argued explained raised warned thanked responded replied told stressed "
    "emphasised emphasized highlighted noted added suggested urged commented praised outlined insisted "
    "questioned acknowledged reiterated confirmed spoke talked described remarked announced reminded "
    "cautioned claimed congratulated apologised apologized pledged updated detailed welcomed condemned "
    "criticised criticized expressed revealed joked concluded observed recalled admitted conceded predicted "
    "voted abstained"
)
_VERB_RE = re.compile(r"\b(?:" + "|".join(_VERBS) + r"|pointed out|called for|paid tribute|set out)\b")
# Their first words: a text none of whose lower-case words is one holds no match of _VERB_RE in any
# part of it (one findall and a set test; an alternation of 60 words costs more).
_VERB_FIRST = frozenset([*_VERBS, "pointed", "called", "paid", "set"])
_LOWER_WORD = re.compile(r"[a-z]+")
_PRONOUN_FIRST = re.compile(r"\s*(?:[A-Z][a-z]+,\s+)?(?:he|she|He|She)\b")


_TOLD_OBJECT = re.compile(
    r"\s+(?:us|me|him|her|them|everyone|colleagues|members|the\s+(?:NEC|meeting|committee|members|national))\b",
    re.IGNORECASE,
)
# Lower-case words skipped between a speaker and the verb ("Keir then said", "Ann also asked").
ADVERBS = frozenset(
    _words(
        "then also again further later rightly helpfully strongly firmly briefly finally repeatedly clearly "
        "specifically subsequently formally jointly duly both all each additionally moreover however "
        "passionately powerfully eloquently forcefully movingly rightly correctly quite simply very only "
        "just initially personally similarly separately once now too first next afterwards swiftly quickly "
        "not"
    )
)
CONNECTORS = frozenset(_words("of for the and & de da du van von der den le la bin al y"))
# Capitalised words that open a sentence without being part of the speaker's name.
INTRO_WORDS = frozenset(
    _words(
        "both then finally however also and but so in on at during after before for with under following "
        "responding replying turning asked speaking introducing opening closing later next lastly meanwhile "
        "here earlier today yesterday again additionally separately similarly firstly secondly thirdly "
        "overall as while when although though once since there this that it"
    )
)
# Heads that make a capitalised phrase an organisation or a thing, not a speaker.
_NOT_PEOPLE = frozenset(
    _words(
        "nec committee report party labour government conference commission group forum council parliament "
        "plan panel board office unit team tories tory commons lords union plp clp clps ehrc snp ukip "
        "reform greens executive department ministry court treasury cabinet eu uk britain england scotland "
        "wales act bill code policy strategy campaign network trust movement momentum progress labourlist "
        "bbc blogger anonymous conservatives democrats members people it they we you this that there npf "
        "jpc cac ncc tuc unite unison gmb hq lgc mps meps mp everyone everybody nobody anyone someone "
        "research polling polls poll analysis evidence data figures staff officers candidates councillors "
        "delegates speakers unions affiliates activists voters supporters colleagues others many some "
        "several most one these those paper motion amendment statement letter review survey study article "
        "website guardian times mirror telegraph observer independent sun express mail news post herald "
        "list commentators critics opponents allies sources insiders spokesperson spokesman spokeswoman "
        "ministers government's party's"
    )
)
# Title heads that name one person: "the General Secretary", "the Chair", "the Executive Director for …".
TITLE_WORDS = frozenset(
    _words(
        "secretary chair chairman chairwoman chairperson vice-chair leader treasurer director president "
        "officer coordinator co-ordinator whip manager head convenor deputy pm minister mayor chancellor "
        "spokesperson adviser advisor counsel organiser general"
    )
)
_GROUP = re.compile(
    r"(?:^|\s)((?:several|many|a\s+number\s+of|a\s+few|numerous|various|other|most|all|two|three|four|five|six)"
    r"\s+(?:of\s+the\s+)?(?:(?:NEC|CLP|CLP-section|trade\s+union|union|TU|left|left-wing|Momentum|centre-left)\s+)?"
    r"(?:members|colleagues|representatives|reps|speakers|of\s+us)"
    r"|(?:NEC|CLP|CLP-section|trade\s+union|union|TU)\s+(?:members|colleagues|representatives|reps)"
    r"|(?:[\w’'-]+\s+){1,2}(?:members|allies)\s+(?:of|on)\s+the\s+NEC"
    r"|[A-Z][\w&-]*[’']s\s+(?:NEC\s+)?(?:members|representatives|reps|delegates|nominees))$",
    re.IGNORECASE,
)
# Words of a title written before a name, in any case: "General secretary David Evans".
_TITLE_PARTS = TITLE_WORDS | frozenset(
    _words(
        "shadow chief home foreign health education party nec campaign elections national executive "
        "assistant acting interim former new deputy labour's vice prime first work pensions justice "
        "business culture welsh scottish london mayor"
    )
)
_LOWER_TITLE = re.compile(
    r"(?:^|\s)([Tt]he\s+(?:(?:deputy|general|vice|party|nec|assistant|executive|national|campaign|acting|interim|"
    r"elections?)[\s-]+){0,3}(?:secretary|chair|chairman|chairwoman|chairperson|vice-chair|leader|treasurer|"
    r"director|coordinator|co-ordinator|whip)(?:\s+(?:of|for)\s+(?:[a-z&]+\s+){0,3}?[a-z&]+)?)$"
)
_BULLET = re.compile(r"\s*(?:[-–—•·*▪◦●]+|\d{1,2}[.)]|\(\w{1,3}\)|[a-z][.)])\s+")
_WORD = re.compile(r"\S+")
_MAX_BACK = 160  # characters looked at before a verb: a speaker is a short phrase


def _is_cap(tok: str) -> bool:
    t = tok.lstrip("(\"'“‘")
    return bool(t) and t[0].isupper()


def _clean(tok: str) -> str:
    return tok.strip(",;:()\"'“”‘’")


def _ends_clause(tok: str) -> bool:
    """A word that closes a clause or a quotation: "finances,", "redundancies;", "people,\"", "now?\""."""
    return tok.rstrip("\"”’')]").endswith((",", ";", ":", "?", "!")) or tok.endswith(('"', "”"))


def _head_ok(run: list[str]) -> bool:
    """A run of words names a person or a titled officer, not an organisation or a thing."""
    words = [_clean(w) for w in run]
    words = [w for w in words if w]
    if not words:
        return False
    lowered = [w.lower() for w in words]
    for i, w in enumerate(lowered[:-1]):
        if w in TITLE_WORDS and lowered[i + 1] in ("of", "for"):
            words, lowered = words[: i + 1], lowered[: i + 1]  # "Director for Members & Supporters": Director
            break
    head = words[-1].lower()
    for suffix in ("’s", "'s"):
        if head.endswith(suffix):
            return False  # a possessive is not a subject: "Keir's report"
    caps = [w for w in words if w[0].isupper() and w.lower() not in INTRO_WORDS]
    if not caps:
        return False
    if head in TITLE_WORDS or head in ("mp", "obe", "mbe", "cbe", "qc", "kc", "mep", "msp", "ms"):
        # "Anneliese Dodds MP", "the General Secretary"; but "the MPs" is not one person
        return any(w.lower() not in _NOT_PEOPLE for w in caps)
    if head in _NOT_PEOPLE:
        return False
    return not all(w.isupper() and len(w) > 1 for w in caps)  # acronyms: "CAC", "JLM"


# Capitalised nouns that open an object phrase before a name: "In his Report Tom Watson asked".
_OBJECT_NOUNS = frozenset(
    _words(
        "report reports update speech statement introduction response reply remarks contribution "
        "presentation q&a questions absence view opinion words letter article"
    )
)


def _trim_run(run: list[str], at_start: bool) -> list[str]:
    """Drop sentence-opening words ("Both", "Finally") and dangling connectors from a name run."""
    while len(run) > 1 and _clean(run[0]).lower() in _OBJECT_NOUNS:
        run = run[1:]
    while run and (
        _clean(run[0]).lower() in CONNECTORS - {"the"}
        or (at_start and _clean(run[0]).lower() in INTRO_WORDS and _clean(run[0]).lower() != "the")
    ):
        run = run[1:]
    while run and _clean(run[-1]).lower() in CONNECTORS:
        run = run[:-1]
    if (
        run
        and _clean(run[0]).lower() == "the"
        and len(run) > 1
        and not any(_clean(w).lower() in TITLE_WORDS for w in run)
    ):
        run = run[1:]
    return run


def name_before(text: str, allow_group: bool = True) -> str | None:
    """The speaker or actor phrase that ends `text` (the words just before a verb), as written.

    "Keir then" → "Keir"; "In the Q&A to David I" → "I"; "Vidhya Alakeson, Director of External
    Relations," → "Vidhya Alakeson"; "Ann and I" → "Ann and I"; "Several members" → "Several members";
    "This report" → None. Only the last `_MAX_BACK` characters are read.
    """
    cut = max(0, len(text) - _MAX_BACK)
    window = text[cut:]
    toks = _WORD.findall(window)
    if cut and toks:
        toks = toks[1:]  # the first word may be cut in two
    toks = [t.lstrip('("“‘[') or t for t in toks]  # "(I voted for it)"
    while toks and toks[-1].lower().strip(",") in ADVERBS and not toks[-1].endswith(","):
        toks.pop()
    if not toks:
        return None
    if allow_group:
        g = _GROUP.search(" ".join(toks[-6:]))
        if g:
            return g.group(1)
    if toks[-1] == "I":
        j = len(toks) - 2
        if j >= 1 and toks[j] == "and" and _is_cap(toks[j - 1]):
            k = j - 1  # "Glenis Willmott and I"
            while k > 0 and _is_cap(toks[k - 1]) and not toks[k - 1].endswith(",") and j - k < 4:
                k -= 1
            other = _trim_run(toks[k:j], k == 0 and not cut)
            if other:
                return " ".join(other) + " and I"
        return "I"
    low_title = _LOWER_TITLE.search(" ".join(toks[-9:]))
    if low_title:
        return low_title.group(1)  # "the general secretary said", written in lower case
    appositive = toks[-1].endswith(",")
    i = len(toks)
    run: list[str] = []
    while i > 0:
        t = toks[i - 1]
        c = _clean(t)
        if (t.endswith(",") and run) or not c:
            break
        if _is_cap(t) or (c.lower() in CONNECTORS and run):
            run.insert(0, t)
            i -= 1
            continue
        break
    if appositive and run and i > 0 and toks[i - 1].endswith(","):
        # "Vidhya Alakeson, Director of External Relations," → the name before the title
        title = _trim_run(run, False)
        j = i
        name: list[str] = []
        while j > 0 and (_is_cap(toks[j - 1]) or (_clean(toks[j - 1]).lower() in CONNECTORS and name)):
            if toks[j - 1].endswith(",") and name:
                break
            name.insert(0, toks[j - 1])
            j -= 1
        name = _trim_run(name, j == 0 and not cut)
        if name and _head_ok(name) and (j == 0 or toks[j - 1].endswith(",")):
            return " ".join(_clean(w) if k == len(name) - 1 else w for k, w in enumerate(name)).strip(",")
        if title and any(_clean(w).lower() in TITLE_WORDS for w in title):
            run = title
        else:
            return None
    if run and i > 0 and _clean(toks[i - 1]).lower() in _TITLE_PARTS:
        # "General secretary David Evans", "Shadow chancellor Rachel Reeves": a title in lower case first
        j = i
        while j > 0 and _clean(toks[j - 1]).lower() in _TITLE_PARTS and not toks[j - 1].endswith(","):
            j -= 1
        if any(_clean(w).lower() in TITLE_WORDS for w in toks[j:i]):
            run = toks[j:i] + run
            i = j
    at_start = i == 0 and not cut
    run = _trim_run(run, at_start)
    if not run or not _head_ok(run):
        return None
    # The run must be a subject: at the start, after a comma, or after an opening ("On finances David").
    if i > 0 and not _ends_clause(toks[i - 1]):
        first = _clean(toks[0]).lower()
        if first not in INTRO_WORDS or first in ("this", "that", "it", "there", "and", "but", "so"):
            return None
    return " ".join(run).strip(",;: ")


def name_after(text: str) -> str | None:
    """The name phrase that opens `text` ("Keir Starmer, seconded by …" → "Keir Starmer"), as written."""
    toks = _WORD.findall(text[:_MAX_BACK])
    run: list[str] = []
    for t in toks[:8]:
        c = _clean(t)
        if not c:
            break
        title_word = c.lower() in TITLE_WORDS and all(_clean(w).lower() in TITLE_WORDS | {"the"} for w in run)
        if (
            _is_cap(t)
            or (c.lower() in CONNECTORS and c.lower() != "and")
            or (not run and c.lower() == "the")
            or title_word  # "general secretary David Evans"
        ):
            run.append(t)
            if t != c and not t.endswith(("’s", "'s")) and t.rstrip(",;:.)") != t:
                break  # punctuation ends the name
            continue
        break
    while run and _clean(run[-1]).lower() in CONNECTORS:
        run.pop()
    if not run:
        return None
    name = " ".join(run).rstrip(",;:.)")
    if not _head_ok(name.split()) or not any(_is_cap(w) for w in run):
        return None
    return name


def leading_subject(sentence: str) -> str | None:
    """The person a sentence opens with ("Ellie Reeves MP, Deputy …, gave …" → "Ellie Reeves MP"), or None.

    None too when the subject is several people ("Keir and Shabana moved …"): a later "He" is then ambiguous.
    """
    toks = _WORD.findall(sentence[:_MAX_BACK])
    run: list[str] = []
    for k, t in enumerate(toks):
        c = _clean(t)
        title = c.lower() in _TITLE_PARTS and k + 1 < len(toks) and _is_cap(toks[k + 1])
        if _is_cap(t) or (run and c.lower() in CONNECTORS) or (run and title):
            run.append(t)
            if t.endswith(","):
                break
            continue
        break
    run = _trim_run(run, True)
    if not run or len(run) == len(toks) or _clean(run[0]).lower() in _PRONOUNS | {"i", "we", "they", "it"}:
        return None
    if any(_clean(w).lower() in ("and", "&") for w in run):
        return None
    if not _head_ok(run):
        return None
    return " ".join(run).strip(",;: ")


def lines(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each line of a paragraph: list items and headings are one per line."""
    start = 0
    n = len(text)
    while start <= n:
        end = text.find("\n", start)
        if end < 0:
            end = n
        yield start, end
        start = end + 1


def bullet_len(line: str) -> int:
    """Length of a list marker opening `line` ("- ", "• ", "1) "), 0 when it is not a list item."""
    m = _BULLET.match(line)
    return m.end() if m else 0


# Where record.text.sentences keeps two sentences together (reported to part TEXT, worked around here):
# "… staffing etc. The NEC agreed …", "… carried… Keir said …", "… 20 votes to 10.The NEC …".
_MISSED_END = re.compile(r"(?<=\betc\.)\s+(?=[A-Z])|(?<=…)\s+(?=[A-Z])|(?<=[a-z0-9%)]\.)(?=[A-Z][a-z])")


_DOT_CAPITAL = re.compile(r"\.[A-Z]")  # _MISSED_END's third shape needs one


def split_sentences(text: str) -> list[tuple[int, int]]:
    """record.text.sentences, and the ends it misses split too (see `_MISSED_END`)."""
    return list(_split_sentences(text))


@lru_cache(maxsize=4096)  # decisions and statements split the same paragraphs and lines
def _split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for a, b in sentences(text):
        if (
            "etc." not in text[max(0, a - 4) : b]
            and "…" not in text[max(0, a - 1) : b]
            and _DOT_CAPITAL.search(text, a, b) is None
        ):
            out.append((a, b))  # none of _MISSED_END's three shapes in it (the usual sentence)
            continue
        start = a
        for m in _MISSED_END.finditer(text, a, b):
            if m.start() > start:
                out.append((start, m.start()))
            start = m.end()
        if b > start:
            out.append((start, b))
    return tuple(out)


def units(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence of a paragraph: per line, list markers left out, via text.sentences."""
    return iter(_units(text))


@lru_cache(maxsize=4096)
def _units(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(_split_units(text))


def _split_units(text: str) -> Iterator[tuple[int, int]]:
    for a, b in lines(text):
        line = text[a:b]
        k = bullet_len(line)
        for s, e in split_sentences(line[k:]):
            yield a + k + s, a + k + e


_PRONOUNS = {"he", "she"}
_VOTE_FOR = re.compile(
    r"\b(?:in\s+favour|for|to\s+(?:support|back|approve|accept|endorse|agree|pass)|yes)\b", re.I
)
_VOTE_AGAINST = re.compile(r"\b(?:against|to\s+(?:reject|oppose|block|defeat)|no)\b", re.I)
_NEGATED = re.compile(r"(?:\bnot|n[’']t|\bnever)\s*$", re.I)
_PASSIVE_BEFORE = re.compile(r"\b(?:was|were|been|being|is|are|be)\s+$")
_ANY_WORD = re.compile(r"\w")
_QUOTED_FIRST = re.compile(r"\w.*[,?!][\"”’']\s")
_QUOTE_CLOSE = re.compile(r"[,?!][\"”’']\s")  # what _QUOTED_FIRST needs: a cheap test first
_QUOTE_END = re.compile(r"[,?!][\"”’']\s*$")
_PARTICIPLE_AFTER = re.compile(r"\s+[a-z]+ed\b")
_NOT_PARTICIPLE = re.compile(r"\s+(?:need|ask|us)")


def _vote(after: str, verb: str) -> str | None:
    if verb == "abstained":
        return "abstained"
    clause = re.split(r"[;.]|\bbut\b|\bwhile\b|\bwhereas\b", after[:200], maxsplit=1)[0]
    f, a = _VOTE_FOR.search(clause), _VOTE_AGAINST.search(clause)
    if f and (not a or f.start() < a.start()):
        return "for"
    if a:
        return "against"
    return None


def statement_in(sentence: str, antecedent: str | None) -> Statement | None:
    """The statement one sentence makes, with `paragraph` left empty, or None."""
    return _statement_in(sentence, lambda: antecedent)


def _statement_in(sentence: str, antecedent: Callable[[], str | None]) -> Statement | None:
    """statement_in, the antecedent worked out only when a "He"/"She" asks for it."""
    for m in _VERB_RE.finditer(sentence):
        verb = m.group()
        before = sentence[max(0, m.start() - _MAX_BACK) : m.start()]
        after = sentence[m.end() :]
        # the patterns below end in \s*$ / \s+$: searched from the last few characters before the
        # trailing space (the longest word they end with), not tried at each of 160 positions
        stripped = len(before.rstrip())
        if _NEGATED.search(before, max(0, stripped - 5)):
            continue  # "I did not vote for it", "he never said"
        if stripped < len(before) and _PASSIVE_BEFORE.search(before, max(0, stripped - 5)):
            continue  # passive: "we were told", "it was noted"
        if (
            not _ANY_WORD.search(after[:40])
            and verb not in ("voted", "abstained")
            and not (
                _QUOTE_CLOSE.search(before) and _QUOTED_FIRST.search(before)
            )  # '"We must win," she said.'
        ):
            continue  # "Anonymous said..." in a comment header: nothing said
        if verb == "told" and not _TOLD_OBJECT.match(after):
            continue
        if verb != "said" and _PARTICIPLE_AFTER.match(after) and not _NOT_PARTICIPLE.match(after):
            continue  # a participle, not a verb of speech: "Activity noted included:"
        speaker = _speaker(before, sentence, antecedent)
        if speaker is None and _QUOTE_END.search(before, max(0, stripped - 2)):
            speaker = name_after(after.lstrip())  # '"We must win," said Keir Starmer.'
        if speaker is None:
            continue
        vote = _vote(after, verb) if verb in ("voted", "abstained") else None
        if verb == "voted" and vote is None:
            continue
        return Statement(speaker=speaker, quote=sentence, paragraph="", verb=verb, vote=vote)  # type: ignore[arg-type]
    return None


def _speaker(before: str, sentence: str, antecedent: Callable[[], str | None]) -> str | None:
    tail = before.rstrip()
    toks = _WORD.findall(tail[-40:])
    while toks and toks[-1].lower() in ADVERBS:
        toks.pop()
    if toks and toks[-1].lower() in _PRONOUNS:
        # "He said": only right after a sentence about one person, and only as the clause's subject.
        if len(toks) >= 2 and not _ends_clause(toks[-2]) and toks[-2].lower() not in INTRO_WORDS | {"and"}:
            return None
        return antecedent()
    if toks and toks[-1].lower() in ("and", "but"):
        # "Jeremy gave the Leader's report and updated the NEC": the sentence's own subject
        return leading_subject(sentence)
    if tail.endswith(","):
        # "Ann Black, who chaired the meeting, said", "Angela Rayner, the deputy leader, spoke": the name
        # before the aside
        cut = tail.rfind(",", 0, len(tail) - 1)
        if cut > 0 and len(tail[cut + 1 : -1].split()) <= 8:
            named = name_before(tail[:cut])
            if named and named.lower() not in ("we", "it", "they", "you"):
                return named
    who = name_before(tail)
    if who and who.lower() in ("we", "it", "they", "you"):
        return None
    return who


def find_statements(paragraphs: tuple[Paragraph, ...]) -> tuple[Statement, ...]:
    """Every statement of the report, in order; speaker as written ("Keir", "the General Secretary", "I")."""
    out: list[Statement] = []
    for p in paragraphs:
        if p.heading:
            continue
        verbs = _VERB_FIRST.intersection(_LOWER_WORD.findall(p.text))
        if not verbs:
            continue  # no verb of speech anywhere in it: no statement (the usual paragraph)
        # the previous sentence's subject for a "He"/"She": a name, or a sentence whose leading
        # subject is read only when a pronoun asks for it
        ante = _Antecedent()
        for a, b in units(p.text):
            sentence = p.text[a:b]
            found: list[Statement] = []
            if any(v in sentence for v in verbs):  # a sentence holds a verb's word if it has a match
                for clause in sentence.split("; "):  # "Mish Rahman argued …; Luke Akehurst insisted …"
                    if found:
                        last_found = found[-1].speaker
                        st = _statement_in(clause, lambda last_found=last_found: last_found)  # type: ignore[misc]
                    else:
                        st = _statement_in(clause, ante)
                    if st is not None:
                        found.append(st)
            for st in found:
                out.append(
                    Statement(speaker=st.speaker, quote=sentence, paragraph=p.id, verb=st.verb, vote=st.vote)
                )
            if found:
                last = found[-1].speaker
                ante.set(None if " and " in last or last == "I" or _GROUP.search(last) else last)
            elif _PRONOUN_FIRST.match(sentence) is None:
                ante.later(sentence)  # "He covered …" keeps the same person
    return tuple(out)


class _Antecedent:
    """The speaker a "He"/"She" refers to: set from a statement, or the leading subject of a sentence,
    read (once) only when asked."""

    __slots__ = ("_sentence", "_value")

    def __init__(self) -> None:
        self._value: str | None = None
        self._sentence: str | None = None

    def set(self, value: str | None) -> None:
        self._value, self._sentence = value, None

    def later(self, sentence: str) -> None:
        self._value, self._sentence = None, sentence

    def __call__(self) -> str | None:
        if self._sentence is not None:
            self._value, self._sentence = leading_subject(self._sentence), None
        return self._value
