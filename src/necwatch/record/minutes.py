"""The minutes the NEC never publishes: every report's record of one meeting, merged.

Pure and deterministic: the records of some reports in (`ReportInput`, as the record tables hold
them), the meetings they report out (`Minutes`), no I/O. Steps, one function each:

1. `group_copies`: a report and its near-copies and republications (`duplicate_of`, the same
   content hash) count once; the live copy published first speaks for them.
2. `cluster_meetings`: reports whose meeting dates lie within `DATE_GAP` days of each other, of the
   same kind of meeting, report one meeting ("Tuesday's NEC" read as the 23rd by one, the 24th by
   another); a report that gives only the month joins the one meeting of that kind in that month.
3. `merge_meeting`: decisions aligned across reports (the same act: words of the subject or quote,
   the item, the count), items aligned in agenda order (titles, offices, the decisions they hold, a
   prose paragraph naming the item), then each decision's versions compared: where reporters
   differ (a count, the outcome, whether a vote was held, the manner, the mover) the minutes keep
   every version side by side, attributed and quoted, and state no merged value for that field.

Bounded: decision pairs are compared only when they share one of their rarest words (an inverted
index capped per word), items by a dynamic programme per report, so 30 reports of 500 decisions
merge in seconds, not hours.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from rapidfuzz.distance import Levenshtein

from necwatch.record.derive import published_day
from necwatch.record.model import Decision, Item, PersonMention, Statement

DATE_GAP = 2
"""Reports of one kind of meeting whose dates are at most this many days apart (each from the next)
report the same meeting: reporters misread "Tuesday's NEC" by a day, and an away day runs over two."""
MAX_SPAN = 4
"""A run of dates longer than this (one report every other day for weeks) is not one meeting: each
date is then a meeting of its own."""
DECISION_MATCH = 0.5
"""Two decisions of different reports are one act from this score (`_decision_score`, 0..1.3)."""
ITEM_MATCH = 0.5
"""Two items are one from this title similarity (or when they hold one merged decision)."""
RARE_WORDS = 4
"""A decision is compared with those sharing one of its this many rarest words."""
MAX_ALIGNED = 2_000
"""A report's first this many decisions (and statements) are aligned with other reports'; past it (a
degenerate page read as 80,000 "decisions"), they are listed, single-source. A real report has < 100."""
ORDINARY_KINDS = frozenset({None, "", "full"})


# -- input ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportInput:
    """One report's record as the record tables hold it, with what the merge needs of its report."""

    id: str
    reporter: str
    published_at: str | None
    content_hash: str | None
    meeting_date: str | None
    meeting_kind: str | None = None
    title: str | None = None
    removed: bool = False
    duplicate_of: str | None = None
    items: tuple[Item, ...] = ()
    decisions: tuple[Decision, ...] = ()
    statements: tuple[Statement, ...] = ()
    people: tuple[PersonMention, ...] = ()


# -- output --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Version:
    """One report's version of a decision."""

    report_id: str
    report_position: int  # decisions.position in that report's record
    reporter: str
    decision: Decision
    removed: bool


@dataclass
class MinutesItem:
    position: int
    title: str
    reporters: list[str]
    sources: list[dict[str, Any]]  # {report_id, reporter, title, paragraph, removed, prose}

    @property
    def single_source(self) -> bool:
        return len(self.reporters) == 1


@dataclass
class MinutesDecision:
    position: int
    item_position: int | None
    summary: str
    outcome: str | None
    manner: str | None
    votes_for: int | None
    votes_against: int | None
    abstentions: int | None
    mover: str | None
    mover_id: str | None
    seconder: str | None
    seconder_id: str | None
    reporters: list[str]
    versions: list[Version]
    disputed: bool = False

    @property
    def counted(self) -> bool:
        return self.votes_for is not None or self.votes_against is not None

    @property
    def corroboration(self) -> str:
        return "corroborated" if len(self.reporters) > 1 else "single-source"

    @property
    def removed_only(self) -> bool:
        return all(v.removed for v in self.versions)


@dataclass
class Disagreement:
    position: int
    field: str  # count, outcome, manner, vote_held, date, name, mover, seconder
    decision_position: int | None
    item_position: int | None
    summary: str
    versions: list[dict[str, Any]]  # {value, reporters, report_ids, paragraphs, quotes, removed, …}


@dataclass
class Coverage:
    report_id: str
    reporter: str
    published_at: str | None
    days_after: int | None
    duplicates: list[str]
    only_here: list[str]
    removed: bool


@dataclass
class Minutes:
    meeting_id: str
    date: str
    kind: str
    reports: list[ReportInput]  # the distinct reports, first published first
    sources: dict[str, str | None]  # every report merged (copies too) → its content hash
    items: list[MinutesItem] = field(default_factory=list)
    decisions: list[MinutesDecision] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    coverage: list[Coverage] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    statements: int = 0

    @property
    def reporters(self) -> list[str]:
        return _unique(r.reporter for r in self.reports)

    @property
    def corroborated(self) -> int:
        return sum(1 for d in self.decisions if d.corroboration == "corroborated")

    @property
    def first_report_at(self) -> str | None:
        return min((r.published_at for r in self.reports if r.published_at), default=None)

    @property
    def last_report_at(self) -> str | None:
        return max((r.published_at for r in self.reports if r.published_at), default=None)


def meeting_id(day: str, kind: str | None) -> str:
    """The id of a meeting: its date (YYYY-MM-DD or YYYY-MM), "-kind" when not an ordinary meeting."""
    return day if kind in ORDINARY_KINDS else f"{day}-{kind}"


def kind_of(kind: str | None) -> str:
    return "full" if kind in ORDINARY_KINDS else str(kind)


# -- 1. copies -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Copies:
    """A report and its near-copies: `lead` speaks for all; `removed` only when every copy is."""

    lead: ReportInput
    copies: tuple[ReportInput, ...]

    @property
    def removed(self) -> bool:
        return all(r.removed for r in (self.lead, *self.copies))


def _published_key(r: ReportInput) -> tuple[str, str]:
    return (r.published_at or "9999", r.id)


def group_copies(reports: Iterable[ReportInput]) -> list[Copies]:
    """Reports linked by `duplicate_of` (either way, transitively) or sharing a content hash are one."""
    by_id = {r.id: r for r in reports}
    parent = {rid: rid for rid in by_id}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_hash: dict[str, str] = {}
    for rid in sorted(by_id):
        r = by_id[rid]
        if r.duplicate_of in by_id:
            union(rid, r.duplicate_of)
        if r.content_hash:
            union(rid, by_hash.setdefault(r.content_hash, rid))
    groups: dict[str, list[ReportInput]] = defaultdict(list)
    for rid in sorted(by_id):
        groups[find(rid)].append(by_id[rid])
    out = []
    for members in groups.values():
        members.sort(key=lambda r: (r.removed, r.duplicate_of is not None, *_published_key(r)))
        out.append(Copies(members[0], tuple(members[1:])))
    return sorted(out, key=lambda c: _published_key(c.lead))


# -- 2. meetings ---------------------------------------------------------------------------------
def _day(value: str | None) -> date | None:
    if value is None or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def cluster_meetings(groups: Sequence[Copies]) -> list[list[Copies]]:
    """The meetings the reports cover, each its reports (first published first).

    By kind (an ordinary meeting whatever its report calls it "full" or nothing), dates sorted: a
    gap of more than DATE_GAP days starts another meeting; a run spanning more than MAX_SPAN days is
    split by date. A month-only date joins the month's one meeting of its kind, else is its own."""
    by_kind: dict[str, list[Copies]] = defaultdict(list)
    for g in groups:
        if g.lead.meeting_date:
            by_kind[kind_of(g.lead.meeting_kind)].append(g)
    meetings: list[list[Copies]] = []
    for kind in sorted(by_kind):
        days = [(d, g) for g in by_kind[kind] if (d := _day(g.lead.meeting_date)) is not None]
        months = [g for g in by_kind[kind] if _day(g.lead.meeting_date) is None]
        days.sort(key=lambda x: (x[0], *_published_key(x[1].lead)))
        runs: list[list[tuple[date, Copies]]] = []
        for d, g in days:
            if runs and (d - runs[-1][-1][0]).days <= DATE_GAP:
                runs[-1].append((d, g))
            else:
                runs.append([(d, g)])
        clusters: list[list[Copies]] = []
        for run in runs:
            if (run[-1][0] - run[0][0]).days > MAX_SPAN:
                by_date: dict[date, list[Copies]] = defaultdict(list)
                for d, g in run:
                    by_date[d].append(g)
                clusters.extend(by_date[d] for d in sorted(by_date))
            else:
                clusters.append([g for _, g in run])
        in_month: dict[str, list[int]] = defaultdict(list)
        for i, c in enumerate(clusters):
            for m in {str(g.lead.meeting_date)[:7] for g in c}:
                in_month[m].append(i)
        alone: dict[str, list[Copies]] = defaultdict(list)
        for g in months:
            month = str(g.lead.meeting_date)[:7]
            if len(in_month.get(month, ())) == 1:
                clusters[in_month[month][0]].append(g)
            else:
                alone[month].append(g)
        clusters.extend(alone[m] for m in sorted(alone))
        meetings.extend(sorted(c, key=lambda g: _published_key(g.lead)) for c in clusters)
    return meetings


def merged_date(groups: Sequence[Copies]) -> tuple[str, dict[str, list[Copies]]]:
    """The meeting's date: the full date most reporters give (ties: the first report's), else the
    month; and every date given, with its reports."""
    given: dict[str, list[Copies]] = defaultdict(list)
    for g in groups:
        given[str(g.lead.meeting_date)].append(g)
    full = [d for d in given if len(d) == 10]
    pool = full or list(given)
    order = [str(g.lead.meeting_date) for g in groups]

    def support(d: str) -> tuple[int, int]:
        return (len({g.lead.reporter for g in given[d]}), -order.index(d))

    return max(pool, key=support), given


# -- words ---------------------------------------------------------------------------------------
_WORD = re.compile(r"[a-z][a-z0-9]*(?:'[a-z]+)?")
_PHRASES = {
    # offices and bodies, as items name them (record.items.OFFICES gives the canonical titles)
    "general secretary": "general_secretary",
    "gen sec": "general_secretary",
    "gensec": "general_secretary",
    "gs": "general_secretary",
    "general sec": "general_secretary",
    "deputy leader": "deputy_leader",
    "dl": "deputy_leader",
    "leader of the labour party": "leader",
    "party leader": "leader",
    "labour leader": "leader",
    "organisation": "organisation",
    "organization": "organisation",
    "org": "organisation",
    "conference arrangements committee": "cac",
    "national constitutional committee": "ncc",
    "national policy forum": "npf",
    "joint policy committee": "jpc",
    "european parliamentary labour party": "eplp",
    "parliamentary labour party": "plp",
    "association of labour councillors": "alc",
    "lga labour group": "alc",
    "local government association": "alc",
    "any other business": "aob",
    "chair's report": "chair",
    "chairs report": "chair",
    "nec chair": "chair",
    "chairman": "chair",
    "chairwoman": "chair",
    "chairperson": "chair",
    "code of conduct": "code_of_conduct",
    "treasurer's report": "treasurer",
    "finance report": "treasurer",
    # the offices as one word each, unstemmed, so "Treasurer" and "Treasurer's report" are one
    **{
        w: w
        for w in ("leader", "treasurer", "chair", "cac", "ncc", "npf", "jpc", "eplp", "plp", "alc", "aob")
    },
}
_PHRASE_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(p) for p in sorted(_PHRASES, key=len, reverse=True)) + r")\b"
)
STOP = frozenset(
    """a about above after again against all also am an and any are as at be been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers him his how i if in into is it its itself just me more most my no nor not
    now of off on once only or other our ours out over own same she should so some such than that the
    their theirs them then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your
    nec national executive committee sub subcommittee panel labour party meeting members member
    agreed agree agrees approve approved approval endorsed endorse adopted adopt adopting noted note
    received receive carried passed vote votes voted voting unanimously unanimous consensus following
    motion proposal proposals report reports reported update updates paper papers item items further
    decided decide decision accepted accept confirmed confirm majority against favour favor abstentions
    abstained abstention us one two three following which also recommend recommendation recommendations
    discussion discussed consider considered brief briefing presented presentation""".split()  # noqa: SIM905
)


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ions", "ion", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def words(text: str | None) -> frozenset[str]:
    """The content words of a text: lower case, offices and bodies as one word, function words and
    the genre's verbs of outcome left out (they differ between reporters of one act), stemmed."""
    if not text:
        return frozenset()
    low = _PHRASE_RE.sub(lambda m: " " + _PHRASES[m.group(0)] + " ", text.lower()[:2000].replace("’", "'"))
    out = set()
    for w in _WORD.findall(low.replace("_", "xunderx")):
        w = w.replace("xunderx", "_")
        if w.endswith("'s"):
            w = w[:-2]
        if w in STOP or w in _PHRASES or len(w) < 2:
            if w in _PHRASES:
                out.add(_PHRASES[w])
            continue
        out.add(_stem(w))
    return frozenset(out)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """The mean of Dice and the overlap coefficient: "Forde" and "Forde report" are one item, "Deputy
    Leader's report" and "Leader's report" are not (offices are single words)."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    if not common:
        return 0.0
    return (2 * common / (len(a) + len(b)) + common / min(len(a), len(b))) / 2


# -- 3. one meeting ------------------------------------------------------------------------------
_PASS = frozenset({"carried", "agreed"})
_NO_VOTE = frozenset({"consensus", "acclamation"})
_NO_DISSENT = frozenset({"unanimous", "consensus", "acclamation"})


def _outcome_class(outcome: str | None) -> str | None:
    return "passed" if outcome in _PASS else outcome


def _count(d: Decision) -> tuple[int | None, int | None, int | None]:
    return (d.votes_for, d.votes_against, d.abstentions)


def _has_count(d: Decision) -> bool:
    return d.votes_for is not None or d.votes_against is not None


def _voted(d: Decision) -> bool:
    """The version says a vote was held (with dissent): "following a vote", a count against, "carried
    22-12"."""
    return d.manner == "contested" or bool(d.votes_against) or (d.outcome == "carried" and _has_count(d))


@dataclass
class _Dec:
    group: int  # index of its report in the meeting's groups
    position: int
    decision: Decision
    words: frozenset[str]
    item: int | None  # index of its item in the report
    count: tuple[int | None, int | None, int | None] | None = None  # None: no count stated
    outcome: str | None = None  # its outcome's class (carried and agreed: passed)

    def __post_init__(self) -> None:
        self.count = _count(self.decision) if _has_count(self.decision) else None
        self.outcome = _outcome_class(self.decision.outcome)


def _fold_counts(decisions: Sequence[Decision]) -> list[tuple[int, Decision]]:
    """A report's decisions, a count the extractor read as a decision of its own ("… agreed to adopt
    the plan, carried 22-12": subject "22-12") folded into the act of the same sentence."""
    out: list[tuple[int, Decision]] = []
    for i, d in enumerate(decisions):
        if out and d.subject is not None and not words(d.subject) and _has_count(d):
            j, prev = out[-1]
            if prev.quote == d.quote and prev.paragraph == d.paragraph and not _has_count(prev):
                out[-1] = (
                    j,
                    replace(
                        prev,
                        votes_for=d.votes_for,
                        votes_against=d.votes_against,
                        abstentions=d.abstentions,
                        outcome=d.outcome if d.outcome == "carried" else prev.outcome,
                        manner=prev.manner or d.manner,
                    ),
                )
                continue
        out.append((i, d))
    return out


def _decision_words(d: Decision) -> frozenset[str]:
    subject = words(d.subject)
    return subject if len(subject) >= 2 else subject | words(d.quote)


def _decision_score(a: _Dec, b: _Dec, common: int, item_sim: float | None) -> float:
    """`similarity` of the words (`common` of them shared), +0.15 under one item (-0.1 under two
    different ones), +0.1 for the same stated count, +0.05 for the same kind of outcome."""
    na, nb = len(a.words), len(b.words)
    score = (2 * common / (na + nb) + common / min(na, nb)) / 2
    if item_sim is not None:
        score += 0.15 if item_sim >= ITEM_MATCH else -0.1
    if a.count is not None and a.count == b.count:
        score += 0.1
    if a.outcome == b.outcome:
        score += 0.05
    return score


class _Sets:
    """Union-find of decisions, at most one decision of each report in a set."""

    def __init__(self, decs: Sequence[_Dec]) -> None:
        self.parent = list(range(len(decs)))
        self.groups = [{d.group} for d in decs]

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb or self.groups[ra] & self.groups[rb]:
            return False
        lo, hi = min(ra, rb), max(ra, rb)
        self.parent[hi] = lo
        self.groups[lo] |= self.groups[hi]
        return True


def _align_decisions(decs: list[_Dec], item_words: dict[tuple[int, int], frozenset[str]]) -> list[list[int]]:
    """Sets of decisions (indexes into `decs`) that are one act, each at most one per report.

    Candidates are the decisions holding one of a decision's RARE_WORDS rarest words (a word in more
    than `cap` decisions does not pair: "plan" in a meeting of 30 reports of 500 decisions); each
    pair is scored, and pairs are joined best first."""
    df: Counter[str] = Counter()
    for d in decs:
        df.update(d.words)
    n_groups = len({d.group for d in decs})
    if n_groups < 2:
        return [[i] for i in range(len(decs))]
    cap = max(64, 6 * n_groups)
    index: dict[str, list[int]] = defaultdict(list)
    rare: list[list[str]] = []
    for i, d in enumerate(decs):
        usable = [w for w in d.words if df[w] <= cap]
        rare.append(sorted(usable, key=lambda w: (df[w], w))[:RARE_WORDS])
        for w in usable:  # every usable word, so a pair is found when either's rare word is the other's
            index[w].append(i)
    item_cache: dict[tuple[tuple[int, int], tuple[int, int]], float] = {}
    pairs: list[tuple[float, int, int]] = []
    seen: set[tuple[int, int]] = set()
    for k in range(len(decs)):
        for w in rare[k]:
            for m in index[w]:
                i, j = min(k, m), max(k, m)
                if i == j or decs[i].group == decs[j].group or (i, j) in seen:
                    continue
                seen.add((i, j))
                d, e = decs[i], decs[j]
                item_sim = None
                if d.item is not None and e.item is not None:
                    key = ((d.group, d.item), (e.group, e.item))
                    if key not in item_cache:
                        item_cache[key] = similarity(item_words[key[0]], item_words[key[1]])
                    item_sim = item_cache[key]
                common = len(d.words & e.words)
                if common < min(2, len(d.words), len(e.words)):
                    continue
                score = _decision_score(d, e, common, item_sim)
                if score >= DECISION_MATCH:
                    pairs.append((score, i, j))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    sets = _Sets(decs)
    for _score, i, j in pairs:
        sets.union(i, j)
    out: dict[int, list[int]] = defaultdict(list)
    for i in range(len(decs)):
        out[sets.find(i)].append(i)
    return [sorted(members, key=lambda k: (decs[k].group, decs[k].position)) for members in out.values()]


@dataclass
class _MergedItem:
    members: list[tuple[int, int]]  # (group, item index)
    words: list[frozenset[str]]


def _item_score(
    entry: _MergedItem,
    key: tuple[int, int],
    item_words: dict[tuple[int, int], frozenset[str]],
    linked: set[tuple[tuple[int, int], tuple[int, int]]],
) -> float:
    """How well an item of a report matches a merged item: the best title similarity with any of its
    items, 0.75 when one holds a decision merged with one of the item's; 0 below ITEM_MATCH."""
    best = max(similarity(ws, item_words[key]) for ws in set(entry.words))
    if best < 0.75 and any((member, key) in linked for member in entry.members):
        best = 0.75
    return best if best >= ITEM_MATCH else 0.0


def _align_items(
    groups: Sequence[Copies],
    item_words: dict[tuple[int, int], frozenset[str]],
    linked: set[tuple[tuple[int, int], tuple[int, int]]],
) -> list[_MergedItem]:
    """The items of every report in one agenda order: each report's items aligned to the merged list
    so far by a dynamic programme (order kept, score = title similarity, or 0.75 when the two items
    hold one merged decision); an item matching none is inserted after its predecessor's match."""
    merged: list[_MergedItem] = []
    for g, group in enumerate(groups):
        items = group.lead.items
        if not items:
            continue
        n, m = len(merged), len(items)

        if n * m > 200_000:  # a pathological agenda: exact titles only
            keys = {frozenset(ws): a for a in range(n) for ws in merged[a].words}
            matched = {b: keys.get(item_words[(g, b)]) for b in range(m)}
            pairs = []
            last = -1
            for b in range(m):
                a = matched[b]
                if a is not None and a > last:
                    pairs.append((a, b))
                    last = a
        else:
            table = [[0.0] * (m + 1) for _ in range(n + 1)]
            scores = [
                [_item_score(merged[a], (g, b), item_words, linked) for b in range(m)] for a in range(n)
            ]
            for a in range(n - 1, -1, -1):
                row, below = table[a], table[a + 1]
                for b in range(m - 1, -1, -1):
                    s = scores[a][b]
                    row[b] = max(below[b], row[b + 1], s + below[b + 1] if s > 0 else 0.0)
            pairs, a, b = [], 0, 0
            while a < n and b < m:
                s = scores[a][b]
                if s > 0 and table[a][b] == s + table[a + 1][b + 1]:
                    pairs.append((a, b))
                    a, b = a + 1, b + 1
                elif table[a][b] == table[a + 1][b]:
                    a += 1
                else:
                    b += 1
        match = {b: a for a, b in pairs}
        new: list[_MergedItem] = []
        pending: dict[int, list[int]] = defaultdict(list)  # merged index before which new items go
        prev = -1
        for b in range(m):
            if b in match:
                prev = match[b]
            else:
                pending[prev].append(b)
        for b in pending.get(-1, []):
            new.append(_MergedItem([(g, b)], [item_words[(g, b)]]))
        for a in range(n):
            entry = merged[a]
            for b in (bb for bb, aa in match.items() if aa == a):
                entry.members.append((g, b))
                entry.words.append(item_words[(g, b)])
            new.append(entry)
            for b in pending.get(a, []):
                new.append(_MergedItem([(g, b)], [item_words[(g, b)]]))
        merged = new
    return merged


def _unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v is not None))


def _versions_of(field_name: str, values: list[tuple[Any, Version]]) -> list[dict[str, Any]]:
    """Versions of one field, one entry per distinct value, in the order reports give them."""
    by_value: dict[Any, list[Version]] = {}
    for value, v in values:
        by_value.setdefault(value, []).append(v)
    out = []
    for value, vs in by_value.items():
        out.append(
            {
                "value": _show(field_name, value),
                "reporters": _unique(v.reporter for v in vs),
                "report_ids": _unique(v.report_id for v in vs),
                "paragraphs": [v.decision.paragraph for v in vs],
                "quotes": [v.decision.quote for v in vs],
                "removed": all(v.removed for v in vs),
                "removed_reports": _unique(v.report_id for v in vs if v.removed),
            }
        )
    return out


def count_words(c: tuple[int | None, int | None, int | None]) -> str:
    """ "22-12", "22-12-3" (abstentions), "?-3" (only those against stated)."""
    vf, va, ab = c
    text = f"{'?' if vf is None else vf}-{'?' if va is None else va}"
    return text + (f"-{ab}" if ab is not None else "")


def _show(field_name: str, value: Any) -> Any:
    if field_name == "count":
        return count_words(value)
    return value


def _compatible_counts(counts: list[tuple[int | None, int | None, int | None]]) -> bool:
    for k in range(3):
        stated = {c[k] for c in counts if c[k] is not None}
        if len(stated) > 1:
            return False
    return True


def _vote_words(d: Decision) -> str:
    if d.outcome == "noted":
        return "only noted"
    if d.manner in _NO_VOTE:
        return f"agreed by {d.manner}, without a vote"
    if _voted(d):
        return f"{d.outcome or 'decided'} on a vote"
    return str(d.outcome)


def _compare(
    versions: list[Version],
) -> tuple[dict[str, Any], list[tuple[str, str, list[dict[str, Any]]]]]:
    """A decision's merged fields, and where its versions differ: (field, summary in words, versions).

    Agreeing versions merge (one states a count, another none: the count; "agreed" and "carried 22-12":
    carried). Differences are never reconciled: the field is left unset and every version kept."""
    ds = [v.decision for v in versions]
    merged: dict[str, Any] = {}
    points: list[tuple[str, str, list[dict[str, Any]]]] = []
    # whether a vote was held, and the outcome
    no_vote = [
        v
        for v in versions
        if (v.decision.manner in _NO_VOTE or v.decision.outcome == "noted") and not _voted(v.decision)
    ]
    classes = {_outcome_class(d.outcome) for d in ds if d.outcome}
    vote_dispute = any(_voted(d) for d in ds) and bool(no_vote)
    if vote_dispute:
        values = [
            (
                "a vote"
                if _voted(v.decision)
                else ("noted only" if v.decision.outcome == "noted" else "no vote"),
                v,
            )
            for v in versions
            if _voted(v.decision) or v in no_vote
        ]
        vs = _versions_of("vote_held", values)
        summary = " or ".join(
            _unique(_vote_words(v.decision) for v in versions if _voted(v.decision) or v in no_vote)
        )
        points.append(("vote_held", summary, vs))
    if len(classes) > 1:
        if not (vote_dispute and classes <= {"passed", "noted"}):
            vs = _versions_of("outcome", [(v.decision.outcome, v) for v in versions if v.decision.outcome])
            points.append(("outcome", " or ".join(str(x["value"]) for x in vs), vs))
        merged["outcome"] = None
    else:
        outcomes = {d.outcome for d in ds if d.outcome}
        merged["outcome"] = "carried" if "carried" in outcomes else (outcomes.pop() if outcomes else None)
        if vote_dispute:
            merged["outcome"] = None
    # manner
    manners = [(v.decision.manner, v) for v in versions if v.decision.manner]
    kinds = {"no_dissent" if m in _NO_DISSENT else "contested" for m, _ in manners}
    if len(kinds) > 1 and not vote_dispute:
        vs = _versions_of("manner", manners)
        points.append(("manner", " or ".join(str(x["value"]) for x in vs), vs))
        merged["manner"] = None
    elif len(kinds) > 1:
        merged["manner"] = None
    else:
        tally = Counter(m for m, _ in manners)
        merged["manner"] = (
            max(tally, key=lambda m: (tally[m], -[x for x, _ in manners].index(m))) if tally else None
        )
    # the count
    counted = [
        (_count(v.decision), v)
        for v in versions
        if _has_count(v.decision) or v.decision.abstentions is not None
    ]
    if counted and not _compatible_counts([c for c, _ in counted]):
        vs = _versions_of("count", counted)
        points.append(("count", " or ".join(str(x["value"]) for x in vs), vs))
        merged.update(votes_for=None, votes_against=None, abstentions=None)
    else:
        for k, name in enumerate(("votes_for", "votes_against", "abstentions")):
            merged[name] = next((c[k] for c, _ in counted if c[k] is not None), None)
    # mover and seconder
    for role in ("mover", "seconder"):
        stated = [
            ((getattr(v.decision, f"{role}_id") or _name_key(getattr(v.decision, role))), v)
            for v in versions
            if getattr(v.decision, role)
        ]
        keys = _unique(k for k, _ in stated)
        if len(keys) > 1:
            vs = _versions_of(role, [(getattr(v.decision, role), v) for _, v in stated])
            points.append((role, " or ".join(str(x["value"]) for x in vs), vs))
            merged[role] = merged[f"{role}_id"] = None
        elif stated:
            first = stated[0][1].decision
            merged[role] = getattr(first, role)
            merged[f"{role}_id"] = next(
                (getattr(v.decision, f"{role}_id") for _, v in stated if getattr(v.decision, f"{role}_id")),
                None,
            )
        else:
            merged[role] = merged[f"{role}_id"] = None
    return merged, points


_HONORIFIC = re.compile(
    r"^(?:(?:sir|dame|lord|lady|baroness|baron|cllr|councillor|dr|mr|mrs|ms|miss|rt hon)\.?\s+)+"
)


def _name_key(name: str | None) -> str:
    if not name:
        return ""
    key = re.sub(r"[^a-z\s-]", "", name.lower().replace("’", "'"))
    key = " ".join(key.split())
    return _HONORIFIC.sub("", key).removesuffix(" mp").strip()


def _completeness(d: Decision) -> tuple[int, int]:
    stated = sum(x is not None for x in (d.votes_for, d.manner, d.mover, d.seconder, d.subject))
    return (stated, len(d.subject or d.quote))


OFFICE_WORDS = frozenset({"leader", "deputy_leader", "general_secretary", "treasurer", "chair"})
_RAW_WORD = re.compile(r"[a-z]+")


def _offices_named(people: Sequence[PersonMention]) -> list[tuple[frozenset[str], frozenset[str]]]:
    """The report's office holders: each form it writes them in (as lower-case words) and their
    office as the merge's words (the roster's role on the meeting date: "Leader" → leader)."""
    out = []
    for p in people:
        office = words(p.role) & OFFICE_WORDS if p.role else frozenset()
        if office:
            for form in {*p.written, p.name}:
                raw = frozenset(_RAW_WORD.findall(form.lower()))
                if raw and not raw & {"the", "a"}:
                    out.append((raw, office))
    return out


def _title_words(title: str, offices: list[tuple[frozenset[str], frozenset[str]]]) -> frozenset[str]:
    """An item title's words, with the office of a person it names: "Keir's report" is the Leader's."""
    ws = words(title)
    if offices:
        raw = set(_RAW_WORD.findall(title.lower()))
        for form, office in offices:
            if form <= raw:
                ws |= office
    return ws


class _Prose:
    """A report's statements and decisions as word sets, with an index from each word to them: which
    of its sentences names every word of a title, without reading them all for every item."""

    def __init__(self, group: Copies) -> None:
        self.sentences: list[tuple[frozenset[str], str]] = []
        self.index: dict[str, list[int]] = defaultdict(list)
        quotes = [
            *((s.quote, s.paragraph) for s in group.lead.statements),
            *((d.quote, d.paragraph) for d in group.lead.decisions),
        ]
        for text, paragraph in quotes[:MAX_ALIGNED]:
            ws = words(text)
            for w in ws:
                self.index[w].append(len(self.sentences))
            self.sentences.append((ws, paragraph))

    def covers(self, title_words: frozenset[str]) -> str | None:
        """The paragraph of the first sentence naming every content word of the title ("The General
        Secretary reported …" for "GS report", "The NEC agreed the Forde action plan" for "Forde"),
        when the title has a word of four letters or an office."""
        if not title_words or not any(len(w) >= 4 or "_" in w for w in title_words):
            return None
        rarest = min(title_words, key=lambda w: (len(self.index.get(w, ())), w))
        for k in self.index.get(rarest, ()):
            ws, paragraph = self.sentences[k]
            if title_words <= ws:
                return paragraph
        return None


def meeting_id_of(groups: Sequence[Copies]) -> str:
    """The id `merge_meeting` gives the meeting of these reports (without merging them)."""
    groups = sorted(groups, key=lambda g: _published_key(g.lead))
    return meeting_id(merged_date(groups)[0], kind_of(groups[0].lead.meeting_kind))


def merge_meeting(groups: Sequence[Copies]) -> Minutes:
    """The minutes of one meeting from its reports (each group a report and its copies)."""
    groups = sorted(groups, key=lambda g: _published_key(g.lead))
    day, given = merged_date(groups)
    kind = kind_of(groups[0].lead.meeting_kind)
    minutes = Minutes(
        meeting_id=meeting_id(day, kind),
        date=day,
        kind=kind,
        reports=[g.lead for g in groups],
        sources={r.id: r.content_hash for g in groups for r in (g.lead, *g.copies)},
    )
    reporter = [g.lead.reporter for g in groups]
    removed = [g.removed for g in groups]
    # decisions and items, aligned
    item_words: dict[tuple[int, int], frozenset[str]] = {}
    decs: list[_Dec] = []
    for g, group in enumerate(groups):
        item_index: dict[str, int] = {}
        by_paragraph: dict[str, int] = {}  # two items of one title ("Brexit" twice) told apart
        offices = _offices_named(group.lead.people)
        for i, it in enumerate(group.lead.items):
            item_words[(g, i)] = _title_words(it.title, offices)
            item_index.setdefault(it.title, i)
            for p in it.paragraphs or (it.paragraph,):
                by_paragraph.setdefault(p, i)
        for n, (pos, d) in enumerate(_fold_counts(group.lead.decisions)):
            ws = _decision_words(d) if n < MAX_ALIGNED else frozenset()
            item = by_paragraph.get(d.paragraph, item_index.get(d.item)) if d.item else None
            decs.append(_Dec(g, pos, d, ws, item))
    acts = _align_decisions(decs, item_words)
    linked: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    for act in acts:
        placed = [(decs[k].group, decs[k].item) for k in act if decs[k].item is not None]
        for x in placed:
            for y in placed:
                if x != y:
                    linked.add((x, y))  # type: ignore[arg-type]
    merged_items = _align_items(groups, item_words, linked)
    item_of: dict[tuple[int, int], int] = {}
    for pos, mi in enumerate(merged_items):
        for member in mi.members:
            item_of[member] = pos
    # each act's versions, under the item most of its versions are under
    drafts = []
    by_decision: dict[int, dict[int, str]] = defaultdict(dict)  # item → report group → paragraph
    for act in acts:
        versions = [
            Version(
                report_id=groups[decs[k].group].lead.id,
                report_position=decs[k].position,
                reporter=reporter[decs[k].group],
                decision=decs[k].decision,
                removed=removed[decs[k].group],
            )
            for k in act
        ]
        places: list[int] = []
        for k in act:
            at = None if decs[k].item is None else item_of.get((decs[k].group, decs[k].item or 0))
            if at is not None:
                places.append(at)
        tally = Counter(places)
        item_position = max(tally, key=lambda p: (tally[p], -places.index(p))) if tally else None
        if item_position is not None:
            for k in act:
                by_decision[item_position].setdefault(decs[k].group, decs[k].decision.paragraph)
        first = decs[act[0]]
        drafts.append((item_position, first.group, first.position, versions))
    prose: dict[int, _Prose] = {}
    for pos, mi in enumerate(merged_items):
        covered = {g for g, _ in mi.members}
        sources = []
        titles: Counter[str] = Counter()
        for g, i in mi.members:
            it = groups[g].lead.items[i]
            titles[it.title] += 1
            sources.append(_item_source(groups[g], it.title, it.paragraph, prose=False))
        for g, group in enumerate(groups):
            if g in covered:
                continue
            # a report without the heading covers the item by a decision merged under it, or by a
            # paragraph naming it
            paragraph = by_decision[pos].get(g)
            if paragraph is None:
                if g not in prose:
                    prose[g] = _Prose(group)
                paragraph = next(filter(None, (prose[g].covers(ws) for ws in _unique(mi.words))), None)
            if paragraph is not None:
                covered.add(g)
                sources.append(_item_source(group, None, paragraph, prose=True))
        order = [groups[g].lead.items[i].title for g, i in mi.members]
        title = max(titles, key=lambda t: (titles[t], -order.index(t)))
        minutes.items.append(
            MinutesItem(
                position=pos,
                title=title,
                reporters=_unique(reporter[g] for g in sorted(covered)),
                sources=sources,
            )
        )
    drafts.sort(key=lambda x: (x[0] is None, x[0] or 0, x[1], x[2]))
    for pos, (item_position, _g, _p, versions) in enumerate(drafts):
        merged, points = _compare(versions)
        best = max(versions, key=lambda v: _completeness(v.decision)).decision
        decision = MinutesDecision(
            position=pos,
            item_position=item_position,
            summary=best.subject if best.subject and words(best.subject) else best.quote,
            reporters=_unique(v.reporter for v in versions),
            versions=versions,
            disputed=bool(points),
            **merged,
        )
        minutes.decisions.append(decision)
        for name, summary, vs in points:
            minutes.disagreements.append(Disagreement(0, name, pos, item_position, summary, vs))
    # the date, the names
    point = _date_point(groups, given)
    if point is not None:
        minutes.disagreements.insert(0, point)
    people, spellings = _merge_people(groups, reporter, removed)
    minutes.people = people
    minutes.disagreements.extend(spellings)
    for i, dis in enumerate(minutes.disagreements):
        dis.position = i
    minutes.statements = sum(len(g.lead.statements) for g in groups)
    minutes.coverage = _coverage(groups, minutes.items, day)
    return minutes


def _date_point(groups: Sequence[Copies], given: dict[str, list[Copies]]) -> Disagreement | None:
    """Reports that give different days for the meeting: each day with its reporters and titles."""
    days = [d for d in _unique(str(g.lead.meeting_date) for g in groups) if len(d) == 10]
    if len(days) < 2:
        return None
    versions: list[dict[str, Any]] = [
        {
            "value": d,
            "reporters": _unique(g.lead.reporter for g in given[d]),
            "report_ids": [g.lead.id for g in given[d]],
            "paragraphs": [],
            "quotes": [],
            "titles": [g.lead.title for g in given[d]],
            "removed": all(g.removed for g in given[d]),
            "removed_reports": [g.lead.id for g in given[d] if g.removed],
        }
        for d in days
    ]
    return Disagreement(0, "date", None, None, " or ".join(_long_date(d) for d in days), versions)


def _coverage(groups: Sequence[Copies], items: Sequence[MinutesItem], day: str) -> list[Coverage]:
    """Who reported the meeting, how many days after it, and the items only each one mentions (when
    two reporters or more reported it)."""
    index = {g.lead.id: k for k, g in enumerate(groups)}
    only: dict[int, list[str]] = defaultdict(list)
    if len({g.lead.reporter for g in groups}) > 1:
        for item in items:
            if item.single_source:
                for s in item.sources:
                    only[index[s["report_id"]]].append(item.title)
    meeting_day = _day(day)
    out = []
    for k, group in enumerate(groups):
        published = _published_day(group.lead.published_at)
        out.append(
            Coverage(
                report_id=group.lead.id,
                reporter=group.lead.reporter,
                published_at=group.lead.published_at,
                days_after=(published - meeting_day).days if published and meeting_day else None,
                duplicates=[r.id for r in group.copies],
                only_here=_unique(only.get(k, [])),
                removed=group.removed,
            )
        )
    return out


def _item_source(group: Copies, title: str | None, paragraph: str, *, prose: bool) -> dict[str, Any]:
    return {
        "report_id": group.lead.id,
        "reporter": group.lead.reporter,
        "title": title,
        "paragraph": paragraph,
        "removed": group.removed,
        "prose": prose,
    }


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _long_date(value: str) -> str:
    d = _day(value)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}" if d else value


def _published_day(value: str | None) -> date | None:
    return published_day(value)


def _merge_people(
    groups: Sequence[Copies], reporter: list[str], removed: list[bool]
) -> tuple[list[dict[str, Any]], list[Disagreement]]:
    """The people the reports name, one entry a person (the roster's id, else a name as written,
    misspellings of one surname within two letters joined), and the full names spelt differently."""
    people: list[dict[str, Any]] = []
    by_key: dict[str, int] = {}
    by_surname: dict[str, list[int]] = defaultdict(list)
    forms: list[list[tuple[str, int, str]]] = []  # (form, group, paragraph)
    for g, group in enumerate(groups):
        for p in group.lead.people:
            key = p.person_id or _name_key(p.canonical or p.name)
            idx = by_key.get(key)
            if idx is None and p.person_id is None:
                surname = key.split()[-1] if key else ""
                for j in by_surname.get(surname, []) + by_surname.get("", []):
                    if Levenshtein.distance(key, _name_key(people[j]["name"])) <= 2:
                        idx = j
                        break
            if idx is None:
                idx = len(people)
                people.append(
                    {
                        "person_id": p.person_id,
                        "name": p.canonical or p.name,
                        "roles": Counter(),
                        "reporters": [],
                        "sources": [],
                    }
                )
                forms.append([])
                by_key[key] = idx
                parts = _name_key(p.canonical or p.name).split()
                by_surname[parts[-1] if parts else ""].append(idx)
            entry = people[idx]
            if p.role:
                entry["roles"][p.role] += 1
            entry["reporters"].append(reporter[g])
            entry["sources"].append(
                {
                    "report_id": group.lead.id,
                    "paragraph": p.paragraphs[0] if p.paragraphs else None,
                    "removed": removed[g],
                }
            )
            for form in (*p.written, p.name):
                forms[idx].append((form, g, p.paragraphs[0] if p.paragraphs else ""))
    out, points = [], []
    for idx, entry in enumerate(people):
        roles: Counter[str] = entry.pop("roles")
        entry["role"] = max(roles, key=lambda r: (roles[r], r)) if roles else None
        entry["reporters"] = _unique(entry["reporters"])
        out.append(entry)
        spelt: dict[str, list[tuple[str, int, str]]] = {}
        for form, g, paragraph in forms[idx]:
            key = _name_key(form)
            if len(key.split()) < 2 or key.startswith("the "):
                continue
            spelt.setdefault(key, []).append((form, g, paragraph))
        if len(spelt) < 2 or len({g for found in spelt.values() for _, g, _ in found}) < 2:
            continue
        keys = list(spelt)
        if max(Levenshtein.distance(a, b) for a in keys for b in keys) > 3:
            continue  # "Keir Starmer" and "Keir Rodney Starmer": other forms, not spellings
        versions = []
        for found in spelt.values():
            gs = _unique(g for _, g, _ in found)
            versions.append(
                {
                    "value": found[0][0],
                    "reporters": _unique(reporter[g] for g in gs),
                    "report_ids": [groups[g].lead.id for g in gs],
                    "paragraphs": _unique(p for _, _, p in found),
                    "quotes": [],
                    "removed": all(removed[g] for g in gs),
                    "removed_reports": [groups[g].lead.id for g in gs if removed[g]],
                    "person_id": entry["person_id"],
                }
            )
        summary = " or ".join(f'"{v["value"]}"' for v in versions)
        points.append(Disagreement(0, "name", None, None, summary, versions))
    return out, points


def merge(reports: Iterable[ReportInput]) -> list[Minutes]:
    """Every meeting the reports cover, merged (ordered by meeting id)."""
    meetings = [merge_meeting(c) for c in cluster_meetings(group_copies(reports))]
    return sorted(meetings, key=lambda m: m.meeting_id)
