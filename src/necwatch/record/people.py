"""People named in a report, resolved against the roster on the meeting date; never a guess.

One pass over each paragraph, in order:
1. capitalised runs of words ("Dame Margaret Beckett MP", "General Secretary David Evans", "Keir's")
   are read word by word: honorifics and suffixes are cues, not name; a roster name of two or more
   words is a person; an unknown "First Last" is a person when its first word is a given name (or a
   cue marks it: Cllr, Lord, MP); a misspelt full name is matched to the roster (rapidfuzz); one word
   is a person when it is a roster first name, surname or other name, or a short form of someone
   already named in full;
2. office titles ("the General Secretary", "our Treasurer", "the Chair") are the roster's holder on
   the meeting date (else the publication date), or the name the text puts next to them.
One word that fits several people goes to the nearest preceding full mention of one of them, else to
the only one who sat on the NEC (or held an office) that day, else stays unresolved. Names found on
no roster are kept as written (person_id None), their short forms joining them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from necwatch.record.model import Paragraph, PersonMention
from necwatch.record.roster import _HONORIFICS, _SUFFIXES, OFFICE_ROLES, Roster, fold, on_date, words
from necwatch.record.scan import scan
from necwatch.record.text import lower_keeps_words, sentences


@dataclass(frozen=True)
class Resolved:
    name: str  # canonical name when on the roster, else the fullest form the report writes
    person_id: str | None  # None: a person the roster does not know (kept as written)
    role: str | None = None


# A word: letters, with inner hyphens or apostrophes (Long-Bailey, O'Brien); a possessive is split off.
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*(?:['’](?![^\W\d_]))?")
_POSSESSIVE = re.compile(r"^(.+?)['’]s?$")
# The first word of a run of capitalised words: a match of _WORD where _WORD.finditer would start one
# (not preceded by a letter, nor by a hyphen or apostrophe that joins it to the word before: "Long-Bailey"
# is one word), beginning with an ASCII capital or a non-ASCII letter (str.isupper decides those).
# The first letter is matched first and the look-behinds checked after it (the engine then skips to
# candidate letters at C speed): an ASCII capital or a non-ASCII letter, not after a letter, nor after
# a hyphen or apostrophe that follows one.
_CAP_WORD = re.compile(
    r"[A-Z\u0080-\U0010ffff](?<=[^\W\d_])(?<![^\W\d_].)(?<![^\W\d_][-'’].)"
    r"[^\W\d_]*(?:[-'’][^\W\d_]+)*(?:['’](?![^\W\d_]))?"
)
_PARTICLES = frozenset("de van von der den bin al el da di le la du dos das".split())  # noqa: SIM905

# Words that are never part of a person's name (folded): organisations, places, offices, calendar.
_STOP = words(
    """
    labour party nec committee committees council councils conference conferences election elections general
    secretary secretaries leader leaders deputy chair chairs vice treasurer report reports union unions unite
    gmb unison usdaw cwu fbu tssa aslef bfawu musicians momentum progress forum policy national executive
    scottish welsh young students student women womens north south east west central northern southern
    eastern western street road house hall office government parliament parliamentary minister ministers
    cabinet shadow group groups society societies trust fund review board panel sub organisation organization
    disputes constitutional arrangements rule rules motion motions statement monday tuesday wednesday thursday
    friday saturday sunday january february march april june july august september october november
    december brexit england britain british uk scotland wales london europe european eu city county borough
    district region regional commission inquiry act prime mps clp clps plp eplp cac ncc npf bame lgbt lgbt+
    tory tories conservative conservatives liberal democrats lib dem dems snp green greens reform ukip the a
    an and of for in on at to with by our my we i it its this that these those he she they his her their
    new old annual special emergency officers officer members member membership staff team director directors
    association federation congress tuc movement network campaign alliance grassroots voice left right centre
    center open first jewish muslim christian socialist socialists co-operative cooperative fabian fabians
    affiliates affiliated local agenda item items minutes zoom teams covid coronavirus nhs ehrc code conduct
    ihra manifesto clause appendix section chapter page post update updates news thanks thank dear comrades
    friends colleagues hi hello yours best regards also however finally meanwhile today yesterday tomorrow
    next last all both each every other some any no not nor but or if so as then there here when where while
    after before during following despite although though because since until unless yes sadly happily
    unfortunately fortunately overall hq southside headquarters chamber lords commons senedd holyrood
    westminster whitehall downing number mayor mayoral police crime commissioner assembly authority
    department ministry court tribunal judge justice bank treasury exchequer home foreign secretary's
    youth disability disabled asian minority ethnic equality equalities diversity human rights
    working working-class class people peoples public service services sector health education housing
    valley vale heath hill hills moor bay cross town forest coast island river port upon kemptown pavilion
    """
)
# A name followed by one of these is part of a thing's name ("John Smith House", "the Forde Report").
_THING = words(
    """
    house hall street road report review inquiry commission rules rule government project era years
    doctrine foundation centre center trust fund lecture award prize institute memorial building college
    school university academy centre library hospital way square park bridge estate ward constituency
    programme leadership scheme network award awards
    """
)
# Surnames and first names that are also common words or places: taken alone only with a cue.
_WORDLIKE = words(
    """
    black brown fox mason holland eagle payne gray grey bolton turner morgan will mark may grace hope rose
    king long young field hall ward bishop cook baker rich frank bill dean forbes bailey fisher summer page
    price hunt green white
    """
)
_CALENDAR = words("january february march april may june july august september october november december")
# A word after a lone name that shows it is a person ("Black said", "Fox's", "Mason, who …").
_PERSON_CUES_AFTER = words(
    """
    said says asked argued reported moved seconded spoke noted explained added replied responded agreed
    suggested proposed pointed raised welcomed thanked stated emphasised emphasized confirmed warned urged
    told gave presented introduced stressed highlighted questioned objected disagreed insisted commented
    claimed expressed felt thought wanted believed who was had has is would will did also mp mep msp am
    then himself herself later again too immediately rightly
    """
)

_LINE_START = re.compile(r"(?m)^[\s\-–•*·>\d.)(]*")
# A run of one of these words alone names nobody: _run skips honorifics, stop words and suffixes.
_NOT_A_NAME = _STOP | _HONORIFICS | _SUFFIXES

# Office titles. The holder is read from the roster on the meeting date; a name next to the title
# is its holder as the text says.
_TITLE = re.compile(
    r"\b(?P<det>the|our|labour['’]s|the\s+party['’]s|the\s+nec['’]s|nec)?\s*"
    r"(?P<pre>(?:acting|interim|new|incoming|outgoing|party|nec)\s+)?"
    r"(?P<title>deputy\s+leader|(?:eplp\s+)?leader(?:\s+of\s+the\s+eplp)?|general\s+secretary|gen\.?\s?sec"
    r"|treasurer|vice[-\s]chair(?:man|woman|person)?|chair(?:man|woman|person)?|prime\s+minister)\b",
    re.IGNORECASE,
)
# Every match of _TITLE holds one of these words (a cheap test first: _TITLE tries each word boundary).
_TITLE_WORD = re.compile(r"leader|secretary|gen\.?\s?sec|treasurer|chair|prime", re.IGNORECASE)
_TITLE_SKIP_BEFORE = words(
    """
    assistant former previous ex council group unite gmb unison clp branch regional
    shadow committee sub-committee ward tory conservative lib snp green reform opposition union union's
    unite's gmb's unison's cwu's society's council's tuc's world european eu women's youth young students
    in deputy vice tory's conservative's
    """
)
_DET_BEFORE = re.compile(r"\b(?:the|our)\s+(?:(?:scottish|welsh)\s+)?(?:labour\s+)?(?:party\s+)?$", re.I)
_OF_OTHER = re.compile(
    r"\s+of\s+(?!the\s+(?:nec|national\s+executive|labour\s+party|party|opposition)\b|labour\b)", re.I
)
_NOT_THE_PERSON_AFTER = re.compile(
    r"['’]s\s+(?:office|team|staff|aides?|department|speech\s+writers?)\b", re.I
)


def _office_key(title: str, det: str, pre: str, before: str) -> str | None:
    t = " ".join(title.lower().replace("-", " ").split())
    b = before.lower()
    if t.startswith("deputy leader"):
        return "deputy leader"
    if t.startswith("eplp leader") or t.endswith("of the eplp"):
        return "eplp leader"
    if t == "leader":
        if b.endswith("scottish labour ") or b.endswith("scottish "):
            return "scottish leader"
        if b.endswith("welsh labour ") or b.endswith("welsh "):
            return "welsh leader"
        return "leader"
    if t.startswith("general secretary") or t.startswith("gen"):
        return "general secretary"
    if t == "treasurer":
        return "treasurer"
    if t.startswith("vice"):
        return "vice-chair"
    if t.startswith("chair"):
        return "party chair" if pre.strip().lower() == "party" else "chair"
    if t == "prime minister":
        return "prime minister"
    return None


@dataclass
class _Hit:
    """One occurrence in the text: a name (or title) and what it resolved to."""

    paragraph: int
    start: int
    end: int
    written: str  # as written, honorifics/suffixes kept ("Cllr Eddie Lopez", "the General Secretary")
    key: str  # person id, "?name" for a person the roster does not know, "~word" for an unresolved word
    person_id: str | None
    full: bool  # a name of two or more words (or a title resolved on the roster)
    title: bool = False
    text_role: str | None = None


@dataclass(frozen=True)
class People:
    """The people of one report, and a resolver for names found by other parts (mover, speaker)."""

    mentions: tuple[PersonMention, ...] = ()
    roster: Roster | None = field(default=None, repr=False, compare=False)
    day: date | None = None
    author: str | None = None
    _forms: dict[str, tuple[tuple[int, int], ...]] = field(default_factory=dict, repr=False, compare=False)
    _index_of: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def resolve(self, written: str | None, paragraph: str) -> Resolved | None:
        """The person `written` names in that paragraph, or None. "I" is the report's author."""
        if not written or not written.strip():
            return None
        text = written.strip()
        if text in ("I", "me", "myself") or text.casefold() in ("the author", "this author"):
            return self._author()
        at = self._index_of.get(paragraph, 1 << 30)
        form = _normal_form(text)
        best: tuple[int, int] | None = None
        for p_index, mention_no in self._forms.get(form, ()):
            if p_index <= at and (best is None or p_index >= best[0]):
                best = (p_index, mention_no)
        if best is None and self._forms.get(form):
            best = self._forms[form][0]
        if best is not None:
            return self._resolved(self.mentions[best[1]])
        if self.roster is None:
            return None
        para = Paragraph(id=paragraph, index=at if at < 1 << 30 else 0, text=text)
        found = _Finder(self.roster, self.day).run((para,))
        for hit in found:
            if hit.person_id:
                return Resolved(
                    name=self.roster.name(hit.person_id),
                    person_id=hit.person_id,
                    role=self.roster.role(hit.person_id, self.day) or hit.text_role,
                )
        return None

    def _resolved(self, m: PersonMention) -> Resolved:
        return Resolved(name=m.canonical or m.name, person_id=m.person_id, role=m.role)

    def _author(self) -> Resolved | None:
        if not self.author:
            return None
        if self.roster is not None:
            pid = _person_by_name(self.roster, self.author)
            if pid:
                return Resolved(
                    name=self.roster.name(pid), person_id=pid, role=self.roster.role(pid, self.day)
                )
        return Resolved(name=self.author, person_id=None)


@lru_cache(maxsize=8192)
def _normal_form(text: str) -> str:
    words = [fold(w) for w in _WORD.findall(text)]
    words = [_POSSESSIVE.sub(r"\1", w) if w.endswith(("'s", "'")) else w for w in words]
    while words and words[0].rstrip(".") in _HONORIFICS:
        words.pop(0)
    while words and words[-1] in _SUFFIXES:
        words.pop()
    return " ".join(words)


def _person_by_name(roster: Roster, name: str) -> str | None:
    """The roster person a full name (an author's, a config name) is, exactly or by a close spelling."""
    words = tuple(_normal_form(name).split())
    index = roster.names
    if len(words) >= 2:
        ids = index.full.get(words)
        if ids and len(ids) == 1:
            return next(iter(ids))
        return _fuzzy_full(roster, " ".join(words))
    if len(words) == 1:
        ids = index.single.get(words[0])
        if ids and len(ids) == 1 and words[0] not in index.given:
            return next(iter(ids))
        joined = {"".join(k): v for k, v in index.full.items()}.get(words[0].replace("-", ""))
        if joined and len(joined) == 1:  # a blog handle: "aliceperry", "luke-akehurst"
            return next(iter(joined))
    return None


def _fuzzy_full(roster: Roster, folded: str) -> str | None:
    """A misspelt full name ("Humza Yusaf", "Jenny Formby") → the one roster person it is close to."""
    if len(folded) < 8:
        return None
    choices = roster.names.fuzzy
    hits = process.extract(folded, roster.names.fuzzy_names, scorer=fuzz.ratio, score_cutoff=87, limit=3)
    ids = set()
    for text, _score, i in hits:
        last_w, last_c = folded.split()[-1], text.split()[-1]
        if fuzz.ratio(last_w, last_c) >= 80 and folded[0] == text[0]:
            ids.add(choices[i][1])
    return next(iter(ids)) if len(ids) == 1 else None


def _fuzzy_full_cached(roster: Roster, folded: str) -> str | None:
    """_fuzzy_full, its answer kept per roster (keyed by the name)."""
    cache = _on_day(roster, None).fuzzy_full
    if folded not in cache:
        if len(cache) >= 4 * _MAX_FUZZY:
            cache.clear()
        cache[folded] = _fuzzy_full(roster, folded)
    return cache[folded]


class _Day:
    """What the people pass reads of a roster on one day, worked out once per roster and day (reports
    of one meeting share it): who sat (held any post), and the words naming them."""

    def __init__(self, roster: Roster, day: date | None) -> None:
        self.roster, self.day = roster, day
        self.sitting = frozenset(
            pid
            for pid, terms in roster.terms.items()
            if day is not None and any(t.covers(day) for t in terms)
        )
        self._words: tuple[dict[str, set[str]], list[str]] | None = None
        self.misspelt: dict[tuple[str, bool], str | None] = {}  # _Finder._fuzzy_surname's answers
        self.fuzzy_full: dict[str, str | None] = {}  # _fuzzy_full's answers (on the day None only)
        self._surnames: list[str] | None = None

    @property
    def active_words(self) -> tuple[dict[str, set[str]], list[str]]:
        """A word naming someone sitting that day → their ids, and those words as a list (rapidfuzz)."""
        if self._words is None:
            words: dict[str, set[str]] = {}
            if self.day is not None:
                for pid, tokens in self.roster.names.tokens.items():
                    if pid in self.sitting:
                        for w in tokens:
                            words.setdefault(w, set()).add(pid)
            self._words = (words, list(words))
        return self._words

    @property
    def surnames(self) -> list[str]:
        if self._surnames is None:
            self._surnames = list(self.roster.names.surnames)
        return self._surnames


_DAYS: dict[tuple[int, date | None], _Day] = {}


def _on_day(roster: Roster, day: date | None) -> _Day:
    """The roster's _Day (kept per roster object and day; a roster rebuilt gets new ones)."""
    key = (id(roster), day)
    found = _DAYS.get(key)
    if found is None or found.roster is not roster:
        if len(_DAYS) >= 4096:
            _DAYS.clear()
        found = _DAYS[key] = _Day(roster, day)
    return found


# Beyond this many different unknown names a text is not a report (a list, a dump): names are then
# matched exactly, without misspellings, so its cost stays linear.
_MAX_FUZZY = 2000


class _Finder:
    """The single pass over a report's paragraphs (see the module docstring)."""

    def __init__(self, roster: Roster, day: date | None) -> None:
        self.roster = roster
        self.index = roster.names
        self.day = day
        self.hits: list[_Hit] = []
        # a single word → the keys of the full mentions it names, the latest last
        self.seen: dict[str, dict[str, None]] = {}
        self.unknown_names: dict[str, str] = {}  # folded full name of an unknown person → its key
        self._fuzzy_cache: dict[str, str | None] = {}
        self.sitting = _on_day(roster, day).sitting  # who held a roster post that day
        self._active_words: dict[str, set[str]] | None = None
        self._active_list: list[str] = []
        self._unknown_buckets: dict[tuple[str, str], list[str]] = {}

    # --- the pass ---

    def run(self, paragraphs: tuple[Paragraph, ...]) -> list[_Hit]:
        for para in paragraphs:
            text = para.text
            names = self._names(para.index, text)
            titles = self._titles(para.index, text, names)
            for hit in sorted(names + titles, key=lambda h: h.start):
                self.hits.append(hit)
        return self.hits

    @staticmethod
    def _sentence_starts(text: str) -> set[int]:
        starts = set()
        for a, _b in sentences(text):
            starts.add(a)
        for m in _LINE_START.finditer(text):  # list items, one a line
            starts.add(m.end())
        return starts

    def _names(self, p: int, text: str, starts: set[int] | None = None) -> list[_Hit]:
        """The names of one paragraph. Only the capitalised words are visited (one C-speed scan of
        `_CAP_WORD` finds each run's first word); a run is then read word by word from there, exactly
        as a walk over every word of the text would read it."""
        out: list[_Hit] = []
        search_word, search_cap = _WORD.search, _CAP_WORD.search
        given = self.index.given
        pos = 0
        while True:
            first = search_cap(text, pos)
            if first is None:
                break
            if not first.group()[:1].isupper():  # a non-ASCII letter that is not a capital
                pos = first.end()
                continue
            run = [first]
            nxt = search_word(text, first.end())
            while (
                nxt is not None
                and _namey(nxt.group(), particle_ok=True)
                and _joined(text, run[-1], nxt, given)
            ):
                if _is_possessive(run[-1].group()):
                    break
                run.append(nxt)
                nxt = search_word(text, nxt.end())
            while len(run) > 1 and run[-1].group().lower() in _PARTICLES:
                nxt = run.pop()
            if len(run) == 1 and _token(first.group()).rstrip(".") in _NOT_A_NAME:
                pass  # "The", "We", "NEC", "Cllr": one word that names nobody (what _run would find)
            else:
                if starts is None:
                    starts = self._sentence_starts(text)
                out.extend(self._run(p, text, run, first.start() in starts, nxt))
            if nxt is None:
                break
            pos = nxt.start()
        for h in out:  # "Vidhya Alakeson, Director of External Relations": the role the text gives
            if h.text_role is None:
                h.text_role = _appositive_role(text, h.end)
        return out

    def _run(
        self, p: int, text: str, run: list[re.Match[str]], initial: bool, after: re.Match[str] | None
    ) -> list[_Hit]:
        toks = [_token(w.group()) for w in run]
        out: list[_Hit] = []
        i = 0
        honorific_at = -1
        role_words: list[str] = []
        while i < len(toks):
            tok = toks[i].rstrip(".")
            if tok in _HONORIFICS:
                honorific_at = i
                i += 1
                continue
            if tok in _STOP or tok in _SUFFIXES:
                role_words.append(run[i].group())
                i += 1
                continue
            start = i
            # the name's extent: words up to a stop word or a suffix
            k = i
            while (
                k < len(toks) and k - i < 4 and toks[k].rstrip(".") not in _STOP and toks[k] not in _SUFFIXES
            ):
                k += 1
            nxt = toks[k] if k < len(toks) else None
            thing_after = (  # "the Forde inquiry", "the Corbyn years": a name used for a thing
                k == len(toks)
                and after is not None
                and not _is_possessive(run[-1].group())
                and after.group() in _THING
                and _joined(text, run[-1], after)
            )
            if nxt in _THING or thing_after:
                i = k + 1
                role_words = []
                continue
            cue_before = honorific_at == start - 1 and honorific_at >= 0
            suffix_after = nxt in _SUFFIXES if nxt else False
            text_role = _role_text(role_words)
            role_words = []
            hit = self._match(
                p, run, toks, start, k, cue_before, suffix_after, initial and start == 0, after, text_role
            )
            if hit is None:
                i = start + 1
                continue
            if hit[0] is not None:
                out.append(hit[0])
            i = hit[1]
        return out

    def _match(
        self,
        p: int,
        run: list[re.Match[str]],
        toks: list[str],
        i: int,
        k: int,
        cue_before: bool,
        suffix_after: bool,
        initial: bool,
        after: re.Match[str] | None,
        text_role: str | None,
    ) -> tuple[_Hit | None, int] | None:
        """The person the words run[i:k] begin with: (hit, index after it), or None."""
        first_word = run[i]
        span_start = run[i - 1].start() if cue_before else first_word.start()
        # 1. a roster name of two or more words, the longest first
        for n in range(min(len(toks), i + 4), i + 1, -1):
            ids = self.index.full.get(tuple(toks[i:n]))
            if ids:
                return self._full(p, run, i, n, ids, span_start, text_role), n
        seg = toks[i:k]
        if len(seg) in (2, 3) and seg[0] not in self.index.given:  # "Annelise Dodds": a misspelt first name
            pid = self._fuzzy(" ".join(seg))
            if pid:
                written = _written(run, i, k, suffix_after, run[i - 1] if cue_before else None)
                self._remember(pid, self.index.tokens.get(pid, frozenset()))
                end = run[k - 1].end()
                return _Hit(p, span_start, end, written, pid, pid, True, text_role=text_role), k
        # 2. an unknown "First Last" (or one misspelt roster name); an unknown word before a roster
        # surname is someone else's first name ("Xanthe Williams" is not Darren Williams)
        other_first = len(seg) == 2 and seg[1] in self.index.surnames and seg[0] not in self.index.single
        if len(seg) >= 2 and (seg[0] in self.index.given or cue_before or suffix_after or other_first):
            if initial and not (cue_before or seg[0] in self.index.given or other_first):
                return None
            if len(seg) > 3 or (
                len(seg) == 3 and seg[1] not in self.index.given and seg[1] not in _PARTICLES
            ):
                return None, k  # "Bernie Grant Leadership Programme": the name of a thing
            joined = " ".join(seg)
            pid = self._fuzzy(joined)
            written = _written(run, i, k, suffix_after, run[i - 1] if cue_before else None)
            end = run[k - 1].end() if not suffix_after else run[k].end()
            if pid:
                hit = _Hit(p, span_start, end, written, pid, pid, True, text_role=text_role)
                self._remember(pid, self.index.tokens.get(pid, frozenset()) | {seg[0], seg[-1]})
            else:
                key = self._unknown_key(joined)
                hit = _Hit(p, span_start, end, written, key, None, True, text_role=text_role)
                self._remember(key, {seg[0], seg[-1]})
            return hit, k + (1 if suffix_after else 0)
        # 3. one word
        word = toks[i]
        nxt_word = _next_word(run, i, after)
        cue_after = _is_possessive(run[i].group()) or (nxt_word in _PERSON_CUES_AFTER) or suffix_after
        ids = self.index.single.get(word, frozenset())
        latest = self._latest(word)
        # a surname that is also a word needs a cue, or ("Black voted …" after "Ann Black") a verb
        # after a surname already named in full
        if word in _CALENDAR and not cue_before:  # "May's elections": only "Mrs May" is a person
            return None
        verb_after = latest is not None and bool(nxt_word) and str(nxt_word).endswith("ed")
        if word in _WORDLIKE and not (cue_before or cue_after or verb_after):
            return None
        if not ids and latest is None:
            if cue_before and len(word) > 2:  # "Lord Lebedev", "Baroness Mone", "Cllr Smith"
                written = f"{run[i - 1].group()} {_strip_possessive(run[i].group())}"
                key = self._unknown_key(fold(written))
                self._remember(key, {word})
                return _Hit(p, span_start, first_word.end(), written, key, None, True), i + 1
            pid = self._fuzzy_surname(word, cue_after)
            if pid is None:
                return None
            ids = frozenset({pid})
        written = _strip_possessive(first_word.group())
        if cue_before:
            written = f"{run[i - 1].group()} {written}"
        pid, key = self._single(word, ids, latest)
        return _Hit(p, span_start, first_word.end(), written, key, pid, False, text_role=text_role), i + 1

    def _full(
        self,
        p: int,
        run: list[re.Match[str]],
        i: int,
        n: int,
        ids: frozenset[str],
        span_start: int,
        text_role: str | None,
    ) -> _Hit:
        written = " ".join(
            _strip_possessive(w.group()) if j == n - 1 else w.group() for j, w in enumerate(run[i:n], i)
        )
        if i > 0 and run[i - 1].group().rstrip(".").casefold() in _HONORIFICS:
            written = f"{run[i - 1].group()} {written}"
        pid: str | None = None
        if len(ids) == 1:
            pid = next(iter(ids))
        else:  # two roster people of one name: the one sitting that day, else unresolved
            active = [x for x in sorted(ids) if x in self.sitting]
            pid = active[0] if len(active) == 1 else None
        key = pid or self._unknown_key(fold(written))
        self._remember(key, self.index.tokens.get(pid, frozenset()) if pid else {fold(run[i].group())})
        return _Hit(p, span_start, run[n - 1].end(), written, key, pid, True, text_role=text_role)

    def _latest(self, word: str) -> str | None:
        """The full mention a word refers back to: the nearest one naming it, unless several people
        were named so and only one of them sat on the NEC (or held an office) that day ("Ed" after
        "Ed Miliband … Ed Balls" at a 2011 meeting is the Leader)."""
        keys = self.seen.get(word)
        if not keys:
            return None
        if len(keys) > 1:
            sitting = [k for k in keys if not k.startswith(("?", "~")) and k in self.sitting]
            if len(sitting) == 1:
                return sitting[0]
        return next(reversed(keys))

    def _single(self, word: str, ids: frozenset[str], latest: str | None) -> tuple[str | None, str]:
        """One word → (person id, key): nearest preceding full mention, else the only one sitting that
        day, else a distinctive surname's only bearer, else unresolved."""
        if latest is not None:
            return (latest if not latest.startswith(("?", "~")) else None), latest
        active = [x for x in sorted(ids) if x in self.sitting]
        if len(active) == 1:
            return active[0], active[0]
        if not active and len(ids) == 1 and word not in self.index.given and word not in _WORDLIKE:
            pid = next(iter(ids))
            return pid, pid
        return None, "~" + word

    def _remember(self, key: str, words: set[str] | frozenset[str]) -> None:
        for w in words:
            keys = self.seen.setdefault(w, {})
            keys.pop(key, None)
            keys[key] = None

    def _unknown_key(self, folded: str) -> str:
        """One key per unknown person; a close spelling of an earlier unknown name joins it."""
        if folded in self.unknown_names:
            return self.unknown_names[folded]
        # close spellings share their initials: compare within that bucket only (the last 200 of it),
        # so a report of thousands of unknown names stays linear
        bucket = self._unknown_buckets.setdefault((folded[:1], folded.split()[-1][:1]), [])
        if bucket and len(self.unknown_names) < _MAX_FUZZY:
            best = process.extractOne(folded, bucket[-200:], scorer=fuzz.ratio, score_cutoff=90)
            if best is not None:
                key = self.unknown_names[best[0]]
                self.unknown_names[folded] = key
                return key
        key = "?" + folded
        self.unknown_names[folded] = key
        bucket.append(folded)
        return key

    def _fuzzy(self, folded: str) -> str | None:
        if len(self._fuzzy_cache) >= _MAX_FUZZY:  # not a report: thousands of names, matched exactly
            return self._fuzzy_cache.get(folded)
        if folded not in self._fuzzy_cache:
            self._fuzzy_cache[folded] = _fuzzy_full_cached(self.roster, folded)
        return self._fuzzy_cache[folded]

    def _fuzzy_surname(self, word: str, cue_after: bool) -> str | None:
        """A misspelt surname ("Starmar said"): one edit from exactly one roster surname of 7+ letters;
        or a misspelt name of someone sitting that day ("Annelise"): one edit from exactly one word
        naming a person active on the date, 7+ letters."""
        if len(word) < 7 or word in self.index.given:
            return None
        # the same word recurs in a report and in the reports of one meeting: two edit-distance scans
        # each time, so the answer is kept per roster and day (keyed by the word)
        key = (word, cue_after)
        cache = _on_day(self.roster, self.day).misspelt
        if key not in cache:
            if len(cache) >= _MAX_FUZZY:
                cache.clear()
            cache[key] = self._misspelt_surname(word, cue_after)
        return cache[key]

    def _misspelt_surname(self, word: str, cue_after: bool) -> str | None:
        if self._active_words is None:
            self._active_words, self._active_list = _on_day(self.roster, self.day).active_words
        near = process.extract(word, self._active_list, scorer=Levenshtein.distance, score_cutoff=1, limit=3)
        active_ids = {pid for text, _d, _i in near if len(text) >= 7 for pid in self._active_words[text]}
        if len(active_ids) == 1:
            return next(iter(active_ids))
        hits = process.extract(
            word, _on_day(self.roster, None).surnames, scorer=Levenshtein.distance, score_cutoff=1, limit=3
        )
        ids = {pid for text, _d, _i in hits if len(text) >= 7 for pid in self.index.surnames[text]}
        if len(ids) != 1:
            return None
        pid = next(iter(ids))
        return pid if cue_after or pid in self.sitting else None

    # --- office titles ---

    def _titles(self, p: int, text: str, names: list[_Hit]) -> list[_Hit]:
        out: list[_Hit] = []
        if not _may_name_office(text):
            return out  # most paragraphs name no office: skip the costly scan of _TITLE
        names = sorted(names, key=lambda h: h.start)
        starts = [h.start for h in names]
        for m in _title_matches(text):
            det, pre, title = m.group("det") or "", m.group("pre") or "", m.group("title")
            at = m.start("det") if m.group("det") else m.start("pre") if m.group("pre") else m.start("title")
            before = text[max(0, at - 30) : at]
            prev_word = before.split()[-1].casefold() if before.split() else ""
            if prev_word in _TITLE_SKIP_BEFORE:
                continue
            has_det = bool(det.strip()) or bool(_DET_BEFORE.search(before))
            if out and re.fullmatch(r"\s+(?:and|&|or)\s+", text[out[-1].end : at]):
                has_det = True  # "the leader and deputy leader"
            if text[at - 1 : at] == "-":  # "co-chair", "ex-treasurer"
                continue
            if "former" in before[-12:].casefold() or "ex-" in before[-4:].casefold():
                continue
            after = text[m.end() : m.end() + 80]
            if _OF_OTHER.match(after) or _NOT_THE_PERSON_AFTER.match(after):
                continue
            office = _office_key(title, det, pre, before)
            if office is None:
                continue
            if (
                office == "leader"
                and re.match(r"\s+of\s+the\s+opposition\b", after, re.I)
                and self.roster.holder("prime minister", self.day) is not None
            ):
                continue  # Labour in government: the Leader of the Opposition is not Labour's
            # a name written next to the title ("General Secretary David Evans", "Keir Starmer, the Leader")
            near = _adjacent(names, starts, at, m.end(), text)
            if near is not None:
                if near.text_role is None:
                    near.text_role = _role_title(title)
                continue
            if not has_det and pre.strip().lower() in ("", "party", "nec"):
                continue  # a heading word ("Treasurer's report") or a common noun, not a reference
            if (
                title[0].islower()
                and office in ("chair", "vice-chair")
                and det.lower() != "our"
                and re.match(r"\s+(?:of|for|and)\b", after, re.I)
            ):
                continue
            when = pre.strip().lower()
            prefer = "new" if when in ("new", "incoming") else "old" if when == "outgoing" else None
            pid = self.roster.holder(office, self.day, prefer=prefer)
            if pid is None:
                continue
            written = text[at : m.end()]
            self._remember(pid, self.index.tokens.get(pid, frozenset()))
            role = OFFICE_ROLES[office][1]
            out.append(_Hit(p, at, m.end(), written, pid, pid, True, title=True, text_role=role))
        return out


# Every match of _TITLE holds one of these in its title (lower case), at most _TITLE_LEAD non-space
# characters after the match's start ("the party's incoming general " before "sec"), and reads at
# most _TITLE_READ characters from its start when no run of _LONG_SPACE spaces is in the way.
_TITLE_NEEDLES = ("leader", "sec", "treasurer", "chair", "prime")
_TITLE_LEAD = 25
_TITLE_READ = 100
_LONG_SPACE = re.compile(r"\s{8}")


def _title_matches(text: str) -> Iterator[re.Match[str]]:
    """_TITLE.finditer(text), the same matches, without running the regex over the whole paragraph
    (at every word boundary it tries six determiners, seven prefixes and nine titles): on text that
    folds as ASCII, the title words are found by substring search in the lower-cased text and the
    regex runs only from a little before each, over a bounded stretch."""
    low = scan(text).low
    if low is None:
        if not lower_keeps_words(text):
            yield from _TITLE.finditer(text)
            return
        low = text.lower()
    cands: list[int] = []
    for needle in _TITLE_NEEDLES:
        i = low.find(needle)
        while i >= 0:
            cands.append(i)
            i = low.find(needle, i + 1)
    cands.sort()
    n, pos, k = len(text), 0, 0
    while True:
        # the next match starts at or after pos, so its title word is a candidate at or after pos
        k = bisect.bisect_left(cands, pos, k)
        if k == len(cands):
            return
        c = cands[k]
        # a match starting before w would hold text[w:c] in its lead: too many letters for one
        w = max(pos, c - 64)
        if w > pos and len("".join(text[w:c].split())) <= _TITLE_LEAD:
            w = pos
        e = c + 2 * _TITLE_READ
        if e >= n or _LONG_SPACE.search(text, w, e):
            m = _TITLE.search(text, w)  # to the end of the text: the search finditer makes
        else:
            # every attempt starting before e - _TITLE_READ reads no further than e: the same
            # answers as on the whole text
            m = _TITLE.search(text, w, e)
            if m is None or m.start() >= e - _TITLE_READ:
                pos = e - _TITLE_READ  # no match starts before it
                continue
        if m is None:
            return
        yield m
        pos = m.end()


def _may_name_office(text: str) -> bool:
    """Whether `text` may hold a match of _TITLE: substring tests on the paragraph's lower-cased text,
    which holds every title word the regex would find (a regex search is ten times slower, several
    times more on text with a non-ASCII letter); the regex itself on the rare text where lower() does
    not (lower_keeps_words)."""
    low = scan(text).low
    if low is None:
        if not lower_keeps_words(text):
            return _TITLE_WORD.search(text) is not None
        low = text.lower()
    if "leader" in low or "secretary" in low or "treasurer" in low or "chair" in low or "prime" in low:
        return True
    return "gen" in low and _TITLE_WORD.search(text) is not None


@lru_cache(maxsize=65536)
def _token(word: str) -> str:
    """A word of a name as compared: folded, a possessive's 's dropped (a cache keyed by words)."""
    return _POSSESSIVE.sub(r"\1", fold(word)) if _is_possessive(word) else fold(word)


def _namey(word: str, *, particle_ok: bool = False) -> bool:
    return word[:1].isupper() or (particle_ok and word.lower() in _PARTICLES)


def _joined(text: str, a: re.Match[str], b: re.Match[str], given: frozenset[str] = frozenset()) -> bool:
    """Whether two capitalised words are one run: a space between them, a stop after an honorific,
    or a soft line break after a given name ("Angela\nRayner" in text wrapped by its blog), but not
    the break between two list items ("Ann Black\nLuke Akehurst")."""
    gap = text[a.end() : b.start()]
    if gap.startswith(".") and fold(a.group()) in _HONORIFICS:  # "Cllr. Alice Perry", "Dr. Smith"
        gap = gap[1:]
    if not (0 < len(gap) <= 3 and gap.strip() == ""):
        return False
    return "\n" not in gap or (gap.count("\n") == 1 and fold(a.group()) in given)


def _is_possessive(word: str) -> bool:
    return word.endswith(("'s", "’s", "'", "’")) and len(word) > 2


def _strip_possessive(word: str) -> str:
    return _POSSESSIVE.sub(r"\1", word) if _is_possessive(word) else word


def _written(
    run: list[re.Match[str]], i: int, k: int, suffix_after: bool, honorific: re.Match[str] | None
) -> str:
    words = [w.group() for w in run[i:k]]
    words[-1] = _strip_possessive(words[-1])
    if honorific is not None:
        words.insert(0, honorific.group())
    return " ".join(words)  # a suffix (MP, OBE) is a cue, not part of the name


def _next_word(run: list[re.Match[str]], i: int, after: re.Match[str] | None) -> str | None:
    if i + 1 < len(run):
        return fold(run[i + 1].group())
    return fold(after.group()) if after is not None else None


def _role_text(words: list[str]) -> str | None:
    """Title words written before a name ("General Secretary", "NEC Chair") as a role, else None."""
    if not words:
        return None
    text = " ".join(words)
    return text if _TITLE.search(text) else None


_APPOSITIVE = re.compile(
    r"(?:,\s+|\s*\()(?:the\s+|our\s+|Labour['’]s\s+)?(?P<role>[A-Z][\w'’&-]*(?:\s+(?:of|for|and|the|&|[A-Z][\w'’&-]*)){0,7})"
)
_ROLE_WORDS = words(
    """
    director secretary chair chairs leader treasurer officer minister mayor president coordinator
    co-ordinator convenor convener head manager organiser organizer representative rep chief commissioner
    spokesperson whip lead deputy vice-chair
    """
)


def _appositive_role(text: str, end: int) -> str | None:
    m = _APPOSITIVE.match(text, end)
    if not m:
        return None
    role = m.group("role").split()
    while role and role[-1] in ("of", "for", "and", "the", "&"):
        role.pop()
    if not any(fold(w) in _ROLE_WORDS for w in role):
        return None
    return " ".join(role)


def _role_title(title: str) -> str:
    return " ".join(w.capitalize() if w.islower() else w for w in title.split())


def _adjacent(names: list[_Hit], starts: list[int], start: int, end: int, text: str) -> _Hit | None:
    """The name written right after a title ("Leader Keir Starmer") or right before it with a comma
    ("David Evans, the General Secretary,"), if any. `names` are sorted by start (`starts`): only the
    few around the title are looked at, so a paragraph of thousands of names and titles stays linear."""
    at = bisect.bisect_left(starts, start)
    for h in names[max(0, at - 2) : at + 3]:
        if 0 <= h.start - end <= 2 and text[end : h.start].strip() in ("", ","):
            return h
        if 0 <= start - h.end <= 3 and text[h.end : start].strip() in (",", "", "–", "-", "("):
            return h
        if h.start <= start and end <= h.end:
            return h
    return None


def find_people(
    paragraphs: tuple[Paragraph, ...],
    roster: Roster,
    meeting_date: str | None,
    published: date | None,
    author: str | None,
) -> People:
    """Every person the report names, resolved on the meeting date (else the publication date)."""
    day = on_date(meeting_date, published)
    finder = _Finder(roster, day)
    hits = finder.run(paragraphs)
    ids = [p.id for p in paragraphs]
    groups: dict[str, list[_Hit]] = {}
    for h in hits:
        groups.setdefault(h.key, []).append(h)
    mentions: list[PersonMention] = []
    forms: dict[str, list[tuple[int, int]]] = {}
    for key, group in groups.items():
        pid = group[0].person_id if not key.startswith(("?", "~")) else None
        names = [h.written for h in group if not h.title]
        exact = [w for w in names if tuple(_normal_form(w).split()) in roster.names.full] or names
        name = max(exact, key=lambda w: (len(_normal_form(w).split()), len(w))) if exact else group[0].written
        # the office a title named, else the roster's role that day, else the role the text gives
        role = next((h.text_role for h in group if h.title), None)
        if role is None and pid:  # a role the text gives that the roster may hold that day comes first
            held = {r.casefold(): r for r in roster.roles_held(pid, day)}
            role = next(
                (
                    held[h.text_role.casefold()]
                    for h in group
                    if h.text_role and h.text_role.casefold() in held
                ),
                None,
            )
        if role is None and pid:
            role = roster.role(pid, day)
        if role is None:
            role = next((h.text_role for h in group if h.text_role), None)
        paras = tuple(dict.fromkeys(ids[h.paragraph] for h in group))
        written = tuple(dict.fromkeys(h.written for h in group))
        mention = PersonMention(
            name=name,
            paragraphs=paras,
            canonical=roster.name(pid) if pid else None,
            person_id=pid,
            role=role,
            written=written,
        )
        n = len(mentions)
        mentions.append(mention)
        for h in group:
            forms.setdefault(_normal_form(h.written), []).append((h.paragraph, n))
    return People(
        mentions=tuple(mentions),
        roster=roster,
        day=day,
        author=author,
        _forms={k: tuple(v) for k, v in forms.items()},
        _index_of={p.id: p.index for p in paragraphs},
    )
