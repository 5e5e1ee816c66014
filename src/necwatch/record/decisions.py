"""Decisions: every act of the NEC the text states, with outcome, manner, stated counts, mover, seconder.

Rule-based and sentence by sentence. A sentence states a decision when one of its verbs is an act
(`outcomes.VERBS`: agreed, carried, rejected, noted a report, referred, elected, thanked …) and its
actor is the NEC: "we", "the NEC", a sub-committee or panel reporting to it, or a passive ("This
proposal was agreed unanimously") whose agent is not another body. Skipped: "noted that …" facts,
recalled acts ("when we agreed", "had agreed", "last year"), other bodies (conference and its
Arrangements Committee, Parliament, the government, the PLP, CLPs, courts), members' own votes
("I voted in favour": a statement), future or hypothetical acts ("will consider", "if the NEC
agreed"), questions.

A list introduced by "the following were agreed:" gives one decision per item, its text as
`subject`; an outcome at the end of an item ("– agreed", "(carried 20-10)") belongs to that item.
When a sentence holds several acts ("We received a report and agreed that …") each is a decision
with its own `subject`. Counts are read by `record.votes`, never inferred. Movers and seconders are
read as written ("Keir Starmer and Shabana Mahmood then moved and seconded their motion", "moved by
X, seconded by Y") and given to the decision that follows within a few paragraphs.

Every step reads a bounded window around a verb, so the cost is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from necwatch.record import outcomes as o
from necwatch.record.model import Decision, Item, Manner, Outcome, Paragraph
from necwatch.record.scan import scan
from necwatch.record.statements import (
    bullet_len,
    leading_subject,
    lines,
    name_after,
    name_before,
    split_sentences,
)
from necwatch.record.text import folds_as_ascii, lower_keeps_words
from necwatch.record.votes import Counts, find_counts

_WINDOW = 250  # characters of a clause read before a verb
_WORDS = re.compile(r"[\w’'&-]+|,")
_BOUNDARIES = (";", " – ", " — ", " - ", ": ", "(", ". ")
_REFER_TARGET = re.compile(
    r"(?:\s+[\w’'-]+){0,5}?\s+(?:back\b|to\s+(?:the\s+|a\s+|its\s+|our\s+)?(?:[\w’'-]+\s+){0,3}?(?:committee|officers|panel|nec|npf|"
    r"policy|conference|general\s+secretary|board|working\s+group|next|future|sub-committee|org|disputes|ncc|"
    r"region|party|staff|cac|jpc|meeting|forum|commission|review)\b|until\b|to\s+(?:january|february|march|april|"
    r"may|june|july|august|september|october|november|december)\b)",
    re.IGNORECASE,
)
_ROLE_AFTER = re.compile(
    r"\b(?:chairs?|vice[\s-]chairs?|chairperson|convenor|treasurer|to\s+(?:the|chair|serve|sit|lead)|"
    r"as\s+(?:the\s+)?(?:nec|our|its)|representatives?|member\s+of|onto|on\s+to|leader\s+of\s+the\s+nec)\b",
    re.IGNORECASE,
)
_ASK_OK = re.compile(
    r"\s+(?:for\b|that\b|officers\b|staff\b|the\s+(?:general\s+secretary|party|officers|staff|chair|org\w*|"
    r"committee|team|leader|treasurer|director|executive)\b|(?:him|her|them)\s+to\b)",
    re.IGNORECASE,
)
_ASK_NOT = re.compile(r"\s+(?:about|whether|if|how|why|what|who|when|questions?)\b", re.IGNORECASE)
_NOTED_NOT = re.compile(r"\s+(?:that|with|how|the\s+fact|to\b|in\s+passing|concerns?)\b", re.IGNORECASE)
_INTRO_END = re.compile(
    r"(?:\s+(?:the\s+following(?:\s+[\w’'-]+){0,6}|as\s+follows|unanimously|by\s+the\s+nec|to|that|were|was|"
    r"items?|decisions?|(?:reports?|updates?|papers?)(?:\s+(?:on|from))?))*\s*:\s*$",
    re.IGNORECASE,
)
_BULLET_TAG = re.compile(
    r"(?:[–—-]|\(|:|,|;)\s*(agreed|approved|carried|passed|rejected|defeated|lost|fell|noted|deferred|"
    r"referred(?:\s+back)?|endorsed|accepted|not\s+agreed|held\s+over|upheld|not\s+upheld|dismissed)\b([^–—:]{0,60}?)\s*\)?\s*\.?\s*$",
    re.IGNORECASE,
)
_NOTE_TAG = re.compile(
    _BULLET_TAG.pattern.replace("(?:[–—-]|\\(|:|,|;)", "(?:\\s[–—-]|\\(|:)", 1), re.IGNORECASE
)
_HEADLINE_TAG = re.compile(
    r"\s(agreed|approved|endorsed|noted|deferred|rejected|carried)()\s*\.?\s*$", re.IGNORECASE
)
_TAG_OUTCOME: dict[str, Outcome] = {
    "agreed": "agreed",
    "approved": "agreed",
    "endorsed": "agreed",
    "accepted": "agreed",
    "carried": "carried",
    "passed": "carried",
    "rejected": "rejected",
    "defeated": "rejected",
    "lost": "rejected",
    "fell": "rejected",
    "not agreed": "rejected",
    "noted": "noted",
    "deferred": "referred",
    "referred": "referred",
    "referred back": "referred",
    "held over": "referred",
    "upheld": "agreed",
    "not upheld": "rejected",
    "dismissed": "rejected",
}
_ONE_THING = re.compile(
    r"\bfollowing\s+(?:(?:new|revised|draft|updated|amended)\s+)?(?:timetable|statement|motion|resolution|text|"
    r"wording|amendment|procedure|schedule|plan|code|budget|document|protocol|framework|guidance|policy)\b",
    re.IGNORECASE,
)
_NEC_ITSELF = re.compile(r"\b(?:the\s+)?(?:nec|national\s+executive(?:\s+committee)?|committee)\s*$", re.I)
_NEC_ROLE = re.compile(
    r"\b(?:committee|panel|nec|ncc|board|chair|vice[\s-]chair|returning\s+officer|procedures|working\s+group|"
    r"representative|trustees?|convenor|auditor|scrutineer|sub-committee|taskforce|task\s+force)\b",
    re.IGNORECASE,
)
_NOT_A_MOTION = re.compile(
    r"\b(?:candidates?|mps?|councillors?|mayors?|ministers?|labour|party|tories|government|prime\s+minister|"
    r"incumbent|council)\s*$",
    re.IGNORECASE,
)
# An opening line with no sentence: "Decisions taken:", "Agreed:", "Noted:".
_BARE_INTRO = re.compile(
    r"\s*(?:decisions?(?:\s+(?:taken|made|reached))?|(agreed|approved|noted|carried|endorsed|deferred|rejected))"
    r"\s*:\s*$",
    re.IGNORECASE,
)
_REPORTED = re.compile(
    r"\b(?:said|confirmed|reported|explained|announced|added|revealed|stated|understands|told\s+(?:the\s+)?\w+)"
    r"\s+(?:that\s+)?",
    re.IGNORECASE,
)
_COUNTED_PEOPLE = re.compile(
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|a\s+number\s+of)\s+(?:[\w-]+\s+)?"
    r"(?:members|people|individuals|councillors|candidates|activists)\b",
    re.IGNORECASE,
)
_MOVER_CUE = re.compile(r"moved|proposed|seconded|tabled|forward", re.IGNORECASE)
_MOVED_AND_SECONDED = re.compile(r"\b(?:moved|proposed)\s+and\s+seconded\b", re.IGNORECASE)
_MOVED_BY = re.compile(r"\b(?:moved|proposed|tabled|put\s+forward|brought\s+forward)\s+by\s+", re.IGNORECASE)
_SECONDED_BY = re.compile(r"\bseconded\s+by\s+", re.IGNORECASE)
_MOVED_ACTIVE = re.compile(
    r"\b(?:moved|proposed|tabled|put\s+forward)\s+(?:a|an|the|his|her|their|our|my|that|this|its)\b",
    re.IGNORECASE,
)
_SECONDED_ACTIVE = re.compile(
    r"\bseconded(?:\s+(?:it|the|this|a|an|his|her|their)\b|\s*[.,;]|\s*$)", re.IGNORECASE
)
_MOTION_WORD = re.compile(
    r"\b(?:motions?|amendments?|proposals?|resolutions?|rule\s+changes?|it|this|vote)\b", re.I
)
_VOTE_WORD = re.compile(
    r"\b(?:votes?|voted|voting|majority|carried|passed|defeated|rejected|lost|fell)\b", re.I
)
_MEMBERS_GROUP = re.compile(
    r"\b(?:several|some|many|a\s+number\s+of|a\s+few|other|two|three|four|five|most)\s+(?:of\s+the\s+)?"
    r"(?:\w+\s+){0,2}?(?:members|colleagues|representatives)\s*$",
    re.IGNORECASE,
)
_QUALIFIED_MEMBERS = re.compile(
    r"(?:^|\s)(?!the\s|all\s|of\s)[\w’'-]+\s+(?:nec\s+)?(?:members|allies|colleagues|representatives|reps)"
    r"(?:\s+(?:of|on)\s+the\s+nec)?\s*$",
    re.IGNORECASE,
)
# "Our first substantive item was to conclude … by receiving a final paper": an agenda item of the
# meeting, whose acts are the NEC's whatever noun ("the Forde Report") comes last before the verb.
_AGENDA_ITEM = re.compile(
    r"\s*(?:our|the)\s+(?:(?:first|second|third|next|final|last|main|substantive|other|only)\s+){0,3}"
    r"(?:item|business)\s+(?:of\s+business\s+)?(?:was|were)\s+(?:to|a|an|the)\b",
    re.IGNORECASE,
)
_OPENING_NEC = re.compile(
    r"\s*(?:[A-Z]\w*,?\s+){0,2}?(?:the\s+)?(?:NEC|National\s+Executive(?:\s+Committee)?|we|committee|"
    r"Organisation\s+Committee|Org\s+Committee|Business\s+Board|Disputes\s+Panel|NEC\s+officers)\b",
    re.IGNORECASE,
)
# Substrings every match of _MOVER_CUE / _VOTE_WORD holds, tested first (see `_may_hold`).
_MOVER_WORDS = ("moved", "proposed", "seconded", "tabled", "forward")
_VOTE_WORDS = ("vot", "majority", "carried", "passed", "defeated", "rejected", "lost", "fell")
_NAMED_MOTION = re.compile(r"\b(?:motions?|amendments?|proposals?|resolutions?|rule\s+changes?)\b", re.I)
_FINITE = re.compile(r"\b(?:was|were|has|have|we|it|the\s+nec|nec)\b", re.IGNORECASE)
_CAC = re.compile(r"conference\s+arrangements|\bCAC\b", re.IGNORECASE)
_MAX_PENDING = 4  # paragraphs a stated mover waits for the decision on their motion


@dataclass
class _Hit:
    start: int  # the act's verb, in the sentence
    end: int
    clause: int  # where its clause starts
    outcome: Outcome
    actor: str  # "nec", "other", "motion", "person"
    kind: str = ""
    passive: bool = False
    manner: Manner | None = None
    counts: Counts | None = None


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _WORDS.findall(text)]


def _last_marker(pre: str) -> str | None:
    """Who the clause before a verb names last: the NEC, another body, a motion or a person."""
    near = pre[-80:]
    if _MEMBERS_GROUP.search(near) or _QUALIFIED_MEMBERS.search(near):
        return "person"  # "Several NEC members asked …", "Left-wing members of the NEC voted …": not the NEC
    who = name_before(pre, allow_group=False)
    if who is not None and who.lower() not in ("we", "the nec"):
        return "person"  # a person, or a title ("The NEC Chair Ann Black thanked …"), just before the verb
    if re.search(r"(?:^|\s)(?:I|he|she)\s*$", near, re.IGNORECASE):
        return "person"
    tail = pre[-160:]
    best: tuple[int, str] | None = None
    for kind, rx in (("other", o.OTHER_BODIES), ("nec", o.NEC_ACTORS), ("motion", o.MOTION_NOUNS)):
        last = None
        for m in rx.finditer(tail):
            last = m
        if last is not None and (best is None or last.end() > best[0]):
            best = (last.end(), kind)
    return best[1] if best else None


def _passive_subject(pre: str) -> str:
    """The subject of a passive, without an aside: "The first, to change … of MPs, was" → "The first"."""
    body = pre.rstrip()
    while True:  # drop the auxiliaries and adverbs before the verb: "was then narrowly"
        m = re.search(r"\s*\b(\w+)$", body)
        if not m or m.group(1).lower() not in o.SKIPPED | o.BE_PASSIVE | {"has", "have", "not"}:
            break
        body = body[: m.start()]
    if body.rstrip().endswith(","):
        head = body.split(",", 1)[0]
        if head.strip():
            return head
    return body


def _agent_is_other(after: str) -> bool:
    """A passive's agent ("passed by Annual Conference") when it is another body."""
    if re.match(r"\s+(?:[\w’'-]+\s+){0,2}?at\s+(?:annual\s+|party\s+)?conference\b", after, re.I):
        return True  # "had been agreed at conference"
    m = re.match(
        r"\s+(?:[\w’'-]+\s+){0,3}?by\s+(?!\d|a\s|an\s|acclamation|consensus|the\s+nec|nec|us\b)", after, re.I
    )
    if not m:
        return False
    agent = after[m.end() : m.end() + 50]
    other = o.OTHER_BODIES.match(agent) or o.OTHER_BODIES.match(
        re.sub(r"^(?:the|annual|a|our)\s+", "", agent, flags=re.I)
    )
    if other:
        return True
    nec = o.NEC_ACTORS.search(agent[:30])
    return nec is None and re.match(r"(?:the\s+)?[A-Z]", agent) is not None and not re.match(r"\d", agent)


def _sentence_actor(s: str | None) -> str | None:
    """Who a sentence without an act is about, for a next "It"/"They": a person, another body, the NEC."""
    if not s:
        return None
    t = s.strip()
    if leading_subject(t):
        return "person"
    if o.OTHER_BODIES.match(t) or o.OTHER_BODIES.match(re.sub(r"^(?:the|annual)\s+", "", t, flags=re.I)):
        return "other"
    return "nec" if o.NEC_ACTORS.match(re.sub(r"^the\s+", "", t, flags=re.I)) else None


def _lazy_actor(last: tuple[str | None, str | None]) -> Callable[[], str | None]:
    """The previous sentence's actor, worked out only when an "It"/"They" asks for it."""

    def actor() -> str | None:
        return last[0] if last[1] is None else _sentence_actor(last[1])

    return actor


def _hits(
    s: str,
    prev_actor: Callable[[], str | None],
    cac: bool,
    firsts: frozenset[str] | None = None,
    low: str | None = None,
) -> list[_Hit]:
    """The acts one sentence states, in order (`firsts`: see verb_matches; `low`: s.lower())."""
    hits: list[_Hit] = []
    raw = o.verb_matches(s, firsts)
    if low is None:
        low = s.lower()
    if (
        "not" in low
        or "n't" in low
        or "n’t" in low
        or "refused" in low
        or "declined" in low
        or "failed" in low
    ):
        raw += [(m.start(), m.end(), "#negated") for m in o.NEGATED_RE.finditer(s)]
    if "consensus" in low or "agreement" in low:
        raw += [(m.start(), m.end(), "#consensus") for m in o.CONSENSUS_RE.finditer(s)]
    if o.THANKS_CUE.search(low):
        raw += [(m.start(), m.end(), "#thanks") for m in o.THANKS_RE.finditer(s)]
    raw.sort()
    last_end = -1
    prev: _Hit | None = None
    for start, end, form in raw:
        if start < last_end:
            continue  # overlaps a larger match ("thanks were placed on record")
        floor = prev.end if prev else 0
        lo = max(floor, start - _WINDOW)
        clause = lo
        for b in _BOUNDARIES + ((", and ", " and ", ", but ", " but ", ", ") if prev else ()):
            i = s.rfind(b, lo, start)
            if i >= 0:
                clause = max(clause, i + len(b))
        pre = s[clause:start]
        after = s[end : end + 120]
        hit = _classify(s, form, start, end, clause, pre, after, prev, prev_actor, cac)
        if hit is None:
            continue
        if prev is not None and re.fullmatch(r"[\s,]*(?:and|or|&)?[\s,]*", s[prev.end : start]):
            prev.end = end  # "approved and endorsed": one act
            if prev.outcome == "noted" and hit.outcome != "noted":
                prev.outcome, prev.kind = hit.outcome, hit.kind  # "received and adopted": adopted
            last_end = end
            continue
        hits.append(hit)
        prev = hit
        last_end = end
    return hits


def _classify(
    s: str,
    form: str,
    start: int,
    end: int,
    clause: int,
    pre: str,
    after: str,
    prev: _Hit | None,
    prev_actor: Callable[[], str | None],
    cac: bool,
) -> _Hit | None:
    if form == "#consensus":
        if o.PAST_MARKERS.search(pre) or o.HYPOTHETICAL.search(pre):
            return None
        return _Hit(start, end, clause, "agreed", "nec", "consensus", manner="consensus")
    if form == "#thanks":
        return _Hit(start, end, clause, "other", "nec", "thanks")
    if form == "#negated":
        outcome: Outcome = "rejected"
        kind = "trans"
    else:
        outcome, kind = o.VERBS[form]  # type: ignore[assignment]
        excl = o.EXCLUDED_AFTER.get(form)
        if excl is not None and excl.match(after):
            return None
    toks = _tokens(pre)
    negated = False
    while toks and (toks[-1] in o.SKIPPED or toks[-1] in ("not", "n't", ",")):
        if toks[-1] in ("not", "n't"):
            negated = True
        toks.pop()
    # Time and mood: pluperfect and recalled acts, futures, hypotheticals, adjectives.
    if (
        (toks and toks[-1] == "had")
        or toks[-2:] == ["had", "been"]
        or ("had" in toks[-3:-1] and toks[-1:] == ["been"])
    ):
        # A pluperfect recalls an earlier act, unless it is reported speech backshifted ("Evans confirmed
        # that the NEC had also agreed …"): the same meeting, told in the past.
        if not _REPORTED.search(pre) or o.PAST_MARKERS.search(s) or toks[-1] != "had":
            return None  # a passive ("explained that 3,000 applications had been rejected") stays a fact
        toks.pop()
    j = len(toks)
    while j > 0 and toks[j - 1] in ("be", "been", "have", "being", "not", "then", "also"):
        j -= 1
    if j > 0 and toks[j - 1] in o.MODALS:
        return None  # "will be agreed", "would have been carried", "to be considered"
    if toks and toks[-1] in o.PRESENT_BE:
        return None
    if toks and toks[-1] in o.ADJECTIVE_BEFORE:
        return None
    if any(t in o.SUBORDINATE for t in toks[-3:]) or (
        toks and toks[0] in ("when", "whenever", "since") and not _VOTE_WORD.search(pre)
    ):
        return None
    if (
        o.PAST_MARKERS.search(pre)
        or o.PAST_MARKERS.match(after[:40].split(",")[0])
        or o.HYPOTHETICAL.search(pre)
    ):
        return None
    if re.match(r"\s+(?:in\s+(?:19|20)\d\d|two|three|last)\b", after) and re.search(
        r"\b(?:ago|last)\b", after[:30]
    ):
        return None
    passive = bool(toks) and toks[-1] in o.BE_PASSIVE
    if toks and toks[-1] == "been" and toks[-2:-1] not in (["has"], ["have"]):
        passive = toks[-2:-1] == ["having"] or passive
    subject = toks[:-1] if passive else toks
    while subject and subject[-1] in ("has", "have", "having", "they've", "we've"):
        subject.pop()
    if negated:
        if form == "#negated" or not passive or outcome not in ("agreed", "carried"):
            return None
        outcome = "rejected"
    # Who acts.
    if passive:
        if form in ("expelled", "suspended") and _COUNTED_PEOPLE.search(pre):
            pass  # "Two members were expelled": the disputes panel's act
        elif (
            kind == "backing" and o.MOTION_NOUNS.search(_passive_subject(pre)) and not _agent_is_other(after)
        ):
            pass  # "Peter Kenyon's proposal … was not supported"
        elif kind in ("active", "backing", "vote") or _agent_is_other(after):
            return None
        if kind == "noted" and (_NOTED_NOT.match(after) or (re.match(r"\s*$", after) and not subject)):
            return None
        if kind == "noted" and not o.REPORT_NOUNS.search(" ".join(subject[-8:])):
            return None  # "Concerns were noted", "12,000 applications were received": not a report
        # "Officers were asked to …" is a referral; "The NEC has been asked to …" is not an act
        if kind == "ask" and (
            not re.match(r"\s+to\b", after)
            or _NEC_ITSELF.search(_passive_subject(pre))
            or re.fullmatch(
                r"\s*(?:I|me)\s*", _passive_subject(pre)
            )  # "I was asked to chair …": the author's
        ):
            return None
        if form in ("appointed", "re-appointed", "reappointed") and not _NEC_ROLE.search(after[:80]):
            return None  # "Rachel Reeves was appointed shadow chancellor", a staff appointment: not the NEC's
        if kind == "elect" and not (_ROLE_AFTER.search(after[:80]) or find_counts(s[end:])):
            return None
        patient = _passive_subject(pre)
        motion_head = (
            o.MOTION_NOUNS.search(" ".join(patient.split()[:6])) is not None
        )  # "X's proposal that …"
        if (
            outcome in ("rejected", "carried")
            and not motion_head
            and (_last_marker(patient) in ("other", "person") or _NOT_A_MOTION.search(patient))
        ):
            return None  # "the government has been defeated", "our candidate was defeated": not a motion
        if form in ("referred",) and not _REFER_TARGET.match(after):
            return None
        if form == "confirmed" and re.match(r"\s+that\b", after):
            return None
        actor = "nec"
    else:
        if kind == "passive":
            return None
        elided = not subject or subject[-1] in ("and", "but", "or", "&")
        if elided:
            if prev is not None:
                actor = prev.actor
            elif not subject and clause == 0:
                actor = "nec"  # note style: "Agreed: …", "Noted the report of …", "… Agreed nem con."
            elif subject and _OPENING_NEC.match(s):
                actor = "nec"  # "The NEC considered the minutes, and approved them."
            else:
                return None
        else:
            marker = _last_marker(pre)
            it = subject[-1:] in (["it"], ["they"])
            before = prev_actor() if it else None
            if it and kind == "intrans":
                marker, before = "motion", None  # "It fell 10-20": the motion
            elif it and before is not None:
                marker = before  # "The NEC met in April. It agreed …"; "The JPC will meet. It has agreed …"
            if marker == "nec" and cac and re.search(r"\b(?:the\s+)?committee\s*$|\bit\s*$", pre, re.I):
                marker = "other"  # "the committee" of conference
            if marker == "nec" and _reported_we(s, start):
                marker = (
                    "other"  # "David Evans said that we have appointed …": the speaker's "we", not the NEC
                )
            if marker in (None, "motion") and not it and _AGENDA_ITEM.match(s):
                marker = "nec"
            actor = marker or ""
            if (
                form in ("voted down", "voted through")
                and _QUALIFIED_MEMBERS.search(pre)
                and "nec" in pre.lower()
            ):
                actor = "nec"  # "Starmer's allies on the NEC voted down …": only a majority can
            if it and before in ("other", "person"):
                actor = "other"
        if kind == "intrans":
            if actor not in ("nec", "motion"):
                return None
        elif actor != "nec":
            return None
        if kind == "noted" and (
            _NOTED_NOT.match(after) or not o.REPORT_NOUNS.search(" ".join(after.split()[:9]))
        ):
            return None
        if kind == "ask" and (not _ASK_OK.match(after) or _ASK_NOT.match(after)):
            return None
        if kind == "backing" and not o.MOTION_NOUNS.search(" ".join(after.split()[:6])):
            return None
        if kind == "elect" and not (_ROLE_AFTER.search(after[:80]) or re.match(r"\s+[A-Z]", after)):
            return None
        if form == "referred" and not _REFER_TARGET.match(after):
            return None
        if form == "took note" and not o.REPORT_NOUNS.search(" ".join(after.split()[:9])):
            return None
    if kind == "thanks" and not o.THANKS_NOUN.search(after[:60]):
        return None
    if kind == "vote":
        v = re.match(
            r"\s+(?:[^\s,;.]+\s+){0,5}?(to\s+(\w+)|against|down|through|for|in\s+favour)\b",
            after,
            re.I,
        )
        if not v:
            return None
        word = v.group(1).lower()
        if word in ("against", "down"):
            outcome = "rejected"
        elif v.group(2):
            outcome = o.INFINITIVE_OUTCOME.get(v.group(2).lower(), "carried")  # type: ignore[assignment]
            if outcome == "noted":
                outcome = "carried"
        else:
            outcome = "carried"
    elif form in ("agreed", "decided", "resolved"):
        inf = o.INFINITIVE_RE.match(after)
        if inf:
            outcome = o.INFINITIVE_OUTCOME.get(inf.group(1).lower(), "agreed")  # type: ignore[assignment]
    if kind == "elect":
        outcome = "agreed" if o.ACCLAMATION.search(after[:80]) else "other"
    return _Hit(start, end, clause, outcome, actor, kind, passive)


def _finish(s: str, hits: list[_Hit], counts: list[Counts]) -> None:
    """Manner and counts of each act, read from its own stretch of the sentence."""
    for i, h in enumerate(hits):
        stop = hits[i + 1].clause if i + 1 < len(hits) else len(s)
        stop = max(stop, h.end)
        window = s[h.clause : stop]
        if h.manner is None:
            if o.UNANIMOUS.search(window):
                h.manner = "unanimous"
            elif o.ACCLAMATION.search(window):
                h.manner = "acclamation"
            elif o.CONSENSUS.search(window):
                h.manner = "consensus"
            elif (
                o.CONTESTED.search(window) or h.kind == "vote" or s[h.start : h.start + 5].lower() == "voted"
            ):
                h.manner = "contested"  # a vote was held and not everyone agreed
        mine = [c for c in counts if h.clause <= c.start < stop] or (
            [c for c in counts if c.start < hits[0].clause] if i == 0 else []
        )
        if mine:
            h.counts = mine[0]
    if len(hits) == 1 and hits[0].counts is None and counts:
        hits[0].counts = counts[0]
    for h in hits:
        c = h.counts
        if c is None:
            continue
        _, a = c.sides(h.outcome)
        if a and a > 0 and h.manner in (None, "consensus"):
            h.manner = "contested"
        if h.outcome == "agreed" and h.kind != "elect" and (a or h.manner == "contested"):
            h.outcome = "carried"
    for h in hits:
        if h.outcome == "agreed" and h.manner == "contested" and h.kind != "elect":
            h.outcome = "carried"


def _may_hold(s: str, pattern: re.Pattern[str], needles: tuple[str, ...]) -> bool:
    """Whether a case-insensitive `pattern` may match `s`: on ASCII text (where lower() folds as
    re.IGNORECASE does) a few substring tests, many times cheaper than the regex on every sentence."""
    if not lower_keeps_words(s):
        return pattern.search(s) is not None
    low = s.lower()
    return any(n in low for n in needles) and pattern.search(s) is not None


# The words (whole runs of letters, lower case) without one of which no check reads a sentence: every
# pattern of _movers, _VOTE_WORD (find_counts and _lone_vote run only on a vote), NEGATED_RE,
# CONSENSUS_RE and THANKS_RE matches one of them between word boundaries; verb_matches needs a first
# word of a verb of outcome (outcomes.first_words_absent).
_QUIET_WORDS = frozenset(
    (
        *("moved", "proposed", "seconded", "tabled", "forward"),  # _movers ("put forward")
        *("vote", "votes", "voted", "voting", "majority", "carried", "passed", "defeated", "rejected"),
        *("lost", "fell"),  # _VOTE_WORD
        *("did", "didn", "refused", "declined", "failed"),  # NEGATED_RE: did not, didn't, refused to
        *("consensus", "agreement"),  # CONSENSUS_RE
        *("thanks", "gratitude", "appreciation", "congratulations", "condolences"),  # THANKS_RE
    )
)


def _may_hold_low(s: str, low: str | None, needles: tuple[str, ...]) -> bool:
    """False when ASCII `s` (lower-cased: `low`) holds none of `needles`; else True (unsure)."""
    return low is None or any(n in low for n in needles)


def _quiet(s: str) -> bool:
    """Whether a sentence surely states nothing find_decisions reads (no verb of outcome, negated act,
    consensus, thanks, list opening, mover or vote word): one lower(), one findall and a set test
    (_QUIET_WORDS), where the full battery (_hits, _intro, _movers, find_counts, _lone_vote) costs several
    times more. ASCII text only (where lower() folds as the patterns' IGNORECASE does); False when
    unsure."""
    if not folds_as_ascii(s):
        return False
    return _quiet_low(s, s.lower())


def _quiet_low(s: str, low: str) -> bool:
    """_quiet on ASCII `s`, lower-cased as `low`."""
    if s.rstrip().endswith(":"):
        return False
    return o.first_words_absent(low, _QUIET_WORDS)


# Every word _quiet_low looks for: a paragraph's share of them (its "cues") is all a sentence of it
# can hold.
_CUE_WORDS = o.FIRST_WORDS | _QUIET_WORDS


def _quiet_cued(s: str, low: str, cues: frozenset[str]) -> bool:
    """_quiet_low of a sentence of a paragraph whose words _quiet_low looks for are `cues` (its span
    cutting no word): its words are the paragraph's, so one holding none of `cues` even as a substring
    holds none of them (a few substring tests instead of a findall of every word)."""
    for c in cues:
        if c in low:
            return _quiet_low(s, low)
    return not s.rstrip().endswith(":")


def _movers(s: str) -> tuple[str | None, str | None]:
    """(mover, seconder) a sentence states, as written."""
    mover = seconder = None
    if not _may_hold(s, _MOVER_CUE, _MOVER_WORDS):
        return None, None
    m = _MOVED_AND_SECONDED.search(s)
    if m:
        both = name_before(s[: m.start()], allow_group=False)
        if both:
            parts = re.split(r"\s+(?:and|&)\s+", both)
            if len(parts) == 2:
                return parts[0], parts[1]
            return both, None
    m = _MOVED_BY.search(s)
    before = s[max(0, m.start() - 60) : m.start()] if m else ""
    if m and (
        m.start() == 0 or (_NAMED_MOTION.search(before) and not re.search(r"\bthan\b|instead", before))
    ):
        mover = name_after(s[m.end() :])  # "the motion, moved by X": not "the option proposed by X"
    m = _SECONDED_BY.search(s)
    if m:
        seconder = name_after(s[m.end() :])
    if mover is None:
        m = _MOVED_ACTIVE.search(s)
        if m and not re.search(r"\b(?:was|were|been|be)\s+$", s[: m.start()]):
            mover = name_before(s[: m.start()], allow_group=False)
    if seconder is None:
        m = _SECONDED_ACTIVE.search(s)
        if m and not re.search(r"\b(?:was|were|been|be|and)\s+$", s[: m.start()]):
            seconder = name_before(s[: m.start()], allow_group=False)
    return mover, seconder


def _item_titles(items: tuple[Item, ...]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for it in items:
        for pid in (it.paragraph, *it.paragraphs):
            titles.setdefault(pid, it.title)
    return titles


def _bullet_decision(
    line: str,
    k: int,
    p: Paragraph,
    intro: tuple[Outcome, Manner | None] | None,
    item: str | None,
    note: bool = False,
) -> Decision | None:
    """One list item under "the following were agreed:", or an item ending in its own outcome.

    `note`: a line that is not a list item, read only when it ends in a dash-, colon- or bracket-set
    outcome ("Minutes of the previous meeting – agreed.").
    """
    body = line[k:].rstrip()
    if not body.strip():
        return None
    tail_at = max(0, len(body) - 90)
    tag = (_NOTE_TAG if note else _BULLET_TAG).search(body, tail_at)
    if tag is None and note and len(body) <= 100 and ":" in body and not _FINITE.search(body):
        tag = _HEADLINE_TAG.search(body, tail_at)  # "By-election in Selby: shortlist of three approved."
    outcome = intro[0] if intro else None
    counts = None
    subject = body
    if tag:
        outcome = _TAG_OUTCOME[" ".join(tag.group(1).lower().split())]
        found = find_counts(tag.group(1) + tag.group(2))
        counts = found[0] if found else None
        subject = body[: tag.start()].rstrip(" ,;:–—-(")
    elif intro is None:
        return None
    else:
        found = find_counts(body)
        counts = found[0] if found else None
    if outcome is None or not subject.strip():
        return None
    spans = split_sentences(body) or [(0, len(body))]
    at = tag.start() if tag else 0  # the sentence holding the item's own outcome, else its first
    first = next((sp for sp in spans if sp[0] <= at < sp[1]), spans[0])
    quote = body[first[0] : first[1]]
    window = body
    manner: Manner | None = None
    if o.UNANIMOUS.search(window):
        manner = "unanimous"
    elif o.ACCLAMATION.search(window):
        manner = "acclamation"
    elif o.CONSENSUS.search(window):
        manner = "consensus"
    elif o.CONTESTED.search(window):
        manner = "contested"
    elif intro and not tag:
        manner = intro[1]  # "The NEC also agreed the following, all unanimously:"
    vf = va = ab = None
    if counts is not None:
        vf, va = counts.sides(outcome)
        ab = counts.abstentions
        if va and manner is None:
            manner = "contested"
    if outcome == "agreed" and manner == "contested":
        outcome = "carried"
    return Decision(
        quote=quote,
        outcome=outcome,
        paragraph=p.id,
        subject=subject.strip().rstrip("."),
        manner=manner,
        votes_for=vf,
        votes_against=va,
        abstentions=ab,
        item=item,
    )


def _intro(s: str, hits: list[_Hit]) -> tuple[Outcome, Manner | None] | None:
    """The outcome (and manner) a list's opening line gives its items ("The following were agreed:")."""
    if not s.rstrip().endswith(":"):
        return None
    bare = _BARE_INTRO.match(s)
    if bare:
        outcome = _TAG_OUTCOME.get((bare.group(1) or "agreed").lower(), "agreed")
    elif hits and (
        _INTRO_END.match(s, hits[-1].end) or re.search(r"\bfollowing\b", s[hits[-1].start :], re.I)
    ):
        outcome = hits[-1].outcome
    else:
        return None
    if _ONE_THING.search(s):
        return None  # "We agreed the following timetable:": one decision, its items are its content
    manner: Manner | None = None
    if o.UNANIMOUS.search(s):
        manner = "unanimous"
    elif o.CONSENSUS.search(s):
        manner = "consensus"
    return outcome, manner


def find_decisions(paragraphs: tuple[Paragraph, ...], items: tuple[Item, ...]) -> tuple[Decision, ...]:
    """Every decision of the report, in order; mover/seconder as written (extract_record resolves them)."""
    titles = _item_titles(items)
    out: list[Decision] = []
    intro: tuple[Outcome, Manner | None] | None = None  # an open "the following were agreed:" list
    pending: tuple[str | None, str | None, int, str | None] | None = None  # mover, seconder, paragraph, item
    section = ""
    last_para: dict[int, int] = {}  # decision index → paragraph index
    for p in paragraphs:
        item = titles.get(p.id)
        if p.heading:
            section = p.text
            # a label heading may open a list: "Decisions taken:", "Deferred:"
            intro = _intro(p.text, _hits(p.text, _lazy_actor((None, None)), False))
            continue
        cac = bool(_CAC.search(item or section))
        # the previous sentence: its actor if it had an act, else its text
        last_sentence: tuple[str | None, str | None] = (None, None)
        # a paragraph none of whose words any check needs (the test of each sentence below, once for
        # all of them: a sentence's words are the paragraph's): its lines are read, not its sentences
        sc = scan(p.text)
        cues = sc.words & _CUE_WORDS if sc.low is not None else None
        firsts = cues & o.FIRST_WORDS if cues is not None else None  # the verbs' first words it holds
        quiet = ":" not in p.text and cues is not None and not cues
        for a, b in lines(p.text):
            line = p.text[a:b]
            if not line.strip():
                continue
            # record.text gives a list entry its own paragraph, its marker apart (not read again)
            k = 0 if p.bullet else bullet_len(line)
            entry = p.bullet or k > 0
            if o.TIMELINE_LINE.match(line):
                intro = None
                continue
            if entry:
                bd = _bullet_decision(line, k, p, intro, item)
                if bd is not None:
                    out.append(bd)
                    last_para[len(out) - 1] = p.index
                    continue
                if intro is not None:
                    continue
            else:
                intro = None
                note = _bullet_decision(line, 0, p, None, item, note=True) if len(line) <= 200 else None
                if note is not None:
                    out.append(note)  # note style: "Minutes of the previous meeting – agreed."
                    last_para[len(out) - 1] = p.index
                    continue
                if len(line) < 80 and not re.search(r"[.!?:;]\s*$", line) and len(line.split()) <= 8:
                    section = line  # a heading line inside a paragraph
                    cac = bool(_CAC.search(item or section))
                    if not _FINITE.search(line):
                        continue  # "Motion carried", "Rule changes agreed": a heading, not the statement
            if quiet:
                continue
            for s0, s1 in split_sentences(line[k:]):
                s = line[k + s0 : k + s1]
                if s.rstrip().endswith("?"):
                    continue
                low: str | None
                s_firsts = None  # every verb's first word the sentence holds, when known
                if cues is not None and sc.low is not None:  # the paragraph folds as ASCII: so does s
                    at = a + k + s0
                    low = sc.low[at : at + len(s)]
                    if sc.cut_at(at, at + len(s)):  # its edge words are not the paragraph's
                        silent = _quiet_low(s, low)
                    else:
                        silent = _quiet_cued(s, low, cues)
                        s_firsts = firsts
                else:
                    low = s.lower() if folds_as_ascii(s) else None  # lower() folds as IGNORECASE does
                    silent = low is not None and _quiet_low(s, low)
                if silent:
                    last_sentence = (None, s)
                    continue  # no act, list opening, mover or count: only the next "It" reads it
                hits = _hits(s, _lazy_actor(last_sentence), cac, s_firsts, low)
                opening = _intro(s, hits)
                if opening is not None:
                    intro = opening
                    continue
                mover, seconder = _movers(s) if _may_hold_low(s, low, _MOVER_WORDS) else (None, None)
                vote = hits or (
                    _may_hold(s, _VOTE_WORD, _VOTE_WORDS)
                    if low is None
                    else any(n in low for n in _VOTE_WORDS) and _VOTE_WORD.search(s) is not None
                )
                counts = find_counts(s) if vote else []
                if hits:
                    _finish(s, hits, counts)
                last_sentence = (hits[0].actor, None) if hits else (None, s)
                if not hits:
                    if mover or seconder:
                        if pending and pending[0] and not pending[1] and seconder and not mover:
                            pending = (pending[0], seconder, p.index, item)
                        else:
                            pending = (mover, seconder, p.index, item)
                    lone = _lone_vote(s, counts, out, last_para, p.index)
                    if lone is not None:
                        out.append(replace(lone, paragraph=p.id, item=item))
                        last_para[len(out) - 1] = p.index
                        continue
                    if counts and _VOTE_WORD.search(s) and out and not _NAMED_MOTION.search(s):
                        _count_after(out, last_para, p.index, counts[0])
                    continue
                several = len(hits) > 1
                for i, h in enumerate(hits):
                    subject = None
                    if several:
                        stop = len(s)
                        if i + 1 < len(hits):
                            nxt = hits[i + 1]
                            stop = nxt.clause if nxt.clause > h.end else nxt.start
                        # a passive names its subject before the verb: "Jim McMahon was elected vice-chair"
                        own = h.passive or h.actor == "motion"  # "the substantive motion carried 24-10"
                        subject = _subject(s[h.clause if own else h.end : max(stop, h.end)])
                    vf = va = ab = None
                    if h.counts is not None:
                        vf, va = h.counts.sides(h.outcome)
                        ab = h.counts.abstentions
                    d = Decision(
                        quote=s,
                        outcome=h.outcome,
                        paragraph=p.id,
                        subject=subject,
                        manner=h.manner,
                        votes_for=vf,
                        votes_against=va,
                        abstentions=ab,
                        item=item,
                    )
                    if (mover or seconder) and h.outcome in ("carried", "rejected", "agreed", "referred"):
                        d = replace(d, mover=mover, seconder=seconder)
                        mover = seconder = None
                    elif (
                        pending
                        and h.outcome in ("carried", "rejected", "agreed", "referred")
                        and p.index - pending[2] <= _MAX_PENDING
                        and (pending[3] == item or item is None or pending[3] is None)
                        and (pending[2] == p.index or _MOTION_WORD.search(s))
                    ):
                        d = replace(d, mover=pending[0], seconder=pending[1])
                        pending = None
                    out.append(d)
                    last_para[len(out) - 1] = p.index
                if mover or seconder:
                    pending = (mover, seconder, p.index, item)
    return tuple(out)


def _count_after(out: list[Decision], last_para: dict[int, int], index: int, count: Counts) -> None:
    """A count told in the sentence after its decision ("The motion was carried. The vote was 20 to 15.")
    goes to the decision just before it, in this or the previous paragraph, when it has none."""
    j = len(out) - 1
    last = out[j]
    if last.votes_for is not None or last.votes_against is not None or index - last_para.get(j, -9) > 1:
        return
    f, ag = count.sides(last.outcome)
    out[j] = replace(
        last,
        votes_for=f,
        votes_against=ag,
        abstentions=count.abstentions,
        outcome="carried" if last.outcome == "agreed" and ag else last.outcome,
        manner=last.manner or ("contested" if ag else None),
    )


def _reported_we(s: str, verb_at: int) -> bool:
    """Whether the NEC of a clause is only a "we" inside someone's reported speech."""
    lo = max(0, verb_at - _WINDOW)
    said = None
    for m in _REPORTED.finditer(s, lo, verb_at):
        said = m
    if said is None or name_before(s[lo : said.start()]) in (None, "I"):
        return False  # no reported speech, or the reporter's own "I said that we agreed …"
    between = s[said.end() : verb_at]
    return re.search(r"\bwe\b", between, re.I) is not None and not o.NEC_ACTORS.search(
        re.sub(r"\bwe\b|\bus\b", "", between, flags=re.I)
    )


def _lone_vote(
    s: str, counts: list[Counts], out: list[Decision], last_para: dict[int, int], index: int
) -> Decision | None:
    """A vote stated by its labelled count, with no verb of outcome ("15 voted for, 17 against").

    Only when no decision just before it is waiting for its count; the outcome is the count's.
    """
    c = next((c for c in counts if c.labelled and c.first is not None and c.second is not None), None)
    if c is None or c.first == c.second or not o.MOTION_NOUNS.search(s) or not _VOTE_WORD.search(s):
        return None
    if (
        out
        and out[-1].votes_for is None
        and index - last_para.get(len(out) - 1, -9) <= 1
        and not _NAMED_MOTION.search(s)
    ):
        return None  # the count of the decision just before: "The motion was carried. The vote was 20 to 15."
    assert c.first is not None and c.second is not None
    outcome: Outcome = "carried" if c.first > c.second else "rejected"
    return Decision(
        quote=s,
        outcome=outcome,
        paragraph="",
        manner="contested",
        votes_for=c.first,
        votes_against=c.second,
        abstentions=c.abstentions,
    )


def _subject(text: str) -> str | None:
    """What one of several acts in a sentence is about: the words after its verb, trimmed."""
    t = text.strip(" ,;:.–—-")
    t = re.sub(r"(?:,|\s)+(?:and|but|then)(?:\s+(?:then|also|we|the\s+nec|it))*\s*$", "", t, flags=re.I)
    t = re.sub(r"^(?:that|on|with|to)\s+", "", t, flags=re.I)
    t = t.strip(" ,;:.–—-")
    return t or None
