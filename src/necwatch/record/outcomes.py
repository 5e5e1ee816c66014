"""The words of a decision: outcome verbs, the actors that make an act the NEC's, manner, time.

Pure tables and small classifiers, shared by record.decisions. Everything here reads a bounded
window of a sentence (a clause's opening words, a few words after a verb), so a 100 kB paragraph
costs a linear pass.
"""

from __future__ import annotations

import re

from necwatch.record.text import folds_as_ascii

# verb form → (outcome, kind). kinds: "trans" needs the NEC (or a sub-committee) as subject or a passive;
# "intrans" also accepts a motion as subject ("the motion fell"); "noted" needs a report as object;
# "ask" a request to officers ("asked for a timetable to be produced"); "elect", "thanks", "vote".
VERBS: dict[str, tuple[str, str]] = {
    "carried": ("carried", "intrans"),
    "passed": ("carried", "intrans"),
    "passing": ("carried", "intrans"),
    "voted through": ("carried", "trans"),
    "nodded through": ("agreed", "trans"),
    "agreed": ("agreed", "trans"),
    "approved": ("agreed", "trans"),
    "endorsed": ("agreed", "trans"),
    "signed off": ("agreed", "trans"),
    "signed-off": ("agreed", "trans"),
    "adopted": ("agreed", "trans"),
    "ratified": ("agreed", "trans"),
    "accepted": ("agreed", "trans"),
    "appointed": ("agreed", "trans"),
    "confirmed": ("agreed", "trans"),
    "decided": ("agreed", "trans"),
    "resolved": ("agreed", "active"),
    "finalised": ("agreed", "trans"),
    "finalized": ("agreed", "trans"),
    "upheld": ("agreed", "trans"),
    "granted": ("agreed", "trans"),
    "gave its approval": ("agreed", "active"),
    "gave approval": ("agreed", "active"),
    "gave final approval": ("agreed", "active"),
    "gave the go-ahead": ("agreed", "active"),
    "gave its backing": ("agreed", "active"),
    "gave its endorsement": ("agreed", "active"),
    "gave its support": ("agreed", "active"),
    "set up": ("agreed", "active"),
    "established": ("agreed", "active"),
    "supported": ("agreed", "backing"),
    "backed": ("agreed", "backing"),
    "rejected": ("rejected", "trans"),
    "defeated": ("rejected", "trans"),
    "voted down": ("rejected", "trans"),
    "turned down": ("rejected", "trans"),
    "threw out": ("rejected", "trans"),
    "thrown out": ("rejected", "trans"),
    "fell": ("rejected", "intrans"),
    "lost": ("rejected", "passive"),
    "refused": ("rejected", "trans"),
    "dismissed": ("rejected", "trans"),
    "expelled": ("agreed", "active"),
    "suspended": ("agreed", "active"),
    "noted": ("noted", "noted"),
    "received": ("noted", "noted"),
    "receiving": ("noted", "noted"),
    "took note": ("noted", "noted"),
    "referred": ("referred", "trans"),
    "deferred": ("referred", "trans"),
    "postponed": ("referred", "trans"),
    "held over": ("referred", "trans"),
    "put off": ("referred", "trans"),
    "carried forward": ("referred", "trans"),
    "carried over": ("referred", "trans"),
    "remitted": ("referred", "trans"),
    "delegated": ("referred", "trans"),
    "commissioned": ("referred", "trans"),
    "asked": ("referred", "ask"),
    "requested": ("referred", "ask"),
    "elected": ("other", "elect"),
    "re-elected": ("other", "elect"),
    "re-appointed": ("agreed", "trans"),
    "reappointed": ("agreed", "trans"),
    "thanked": ("other", "trans"),
    "congratulated": ("other", "trans"),
    "paid tribute": ("other", "active"),
    "placed on record": ("other", "thanks"),
    "put on record": ("other", "thanks"),
    "recorded": ("other", "thanks"),
    "voted": ("carried", "vote"),
}
_TOKEN = re.compile(r"[A-Za-z]+")
# first word → [(form, what must follow it)], longest forms first: "carried" before "carried forward".
_BY_FIRST: dict[str, list[tuple[str, re.Pattern[str] | None]]] = {}
for _form in sorted(VERBS, key=len, reverse=True):
    _first = re.split(r"[\s-]", _form, maxsplit=1)[0]
    _rest = _form[len(_first) :]  # "" or " forward", "-off"
    _tail = re.compile(re.escape(_rest).replace("\\ ", r"\s+") + r"\b", re.IGNORECASE) if _rest else None
    _BY_FIRST.setdefault(_first, []).append((_form, _tail))
# the first words of the verbs of outcome: a text none of whose words is one holds no verb_matches
FIRST_WORDS = frozenset(_BY_FIRST)


# each first word alone, as _TOKEN would read it (a whole run of ASCII letters, any case)
_FIRST_AT = {
    w: re.compile(r"(?<![A-Za-z])" + re.escape(w) + r"(?![A-Za-z])", re.IGNORECASE | re.ASCII)
    for w in _BY_FIRST
}


def verb_matches(s: str, firsts: frozenset[str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, form) of every verb of outcome in `s`: on ASCII text one findall and a set test give
    the first words present, and a literal search of each finds where (a 70-way case-insensitive
    alternation, or a loop over every word, costs many times more on long text). `firsts`, when given,
    replaces the findall: `s` folds as ASCII and every first word it holds is in `firsts` (the words of
    the paragraph it is a sentence of; a word it does not hold finds no match)."""
    out: list[tuple[int, int, str]] = []
    if firsts is not None:
        if not firsts:
            return out
        found = sorted((m.start(), m.end(), w) for w in firsts for m in _FIRST_AT[w].finditer(s))
    elif folds_as_ascii(s):
        present = _BY_FIRST.keys() & set(_TOKEN.findall(s.lower()))
        if not present:
            return out  # most sentences hold no such word
        found = sorted((m.start(), m.end(), w) for w in present for m in _FIRST_AT[w].finditer(s))
    else:
        found = [(m.start(), m.end(), m.group().lower()) for m in _TOKEN.finditer(s)]
    for start, end, word in found:
        cands = _BY_FIRST.get(word)
        if not cands:
            continue
        for form, tail in cands:
            if tail is None:
                out.append((start, end, form))
                break
            t = tail.match(s, end)
            if t:
                out.append((start, t.end(), form))
                break
    return out


def first_words_absent(low: str, also: frozenset[str] = frozenset()) -> bool:
    """Whether lower-cased ASCII text holds no first word of a verb of outcome (verb_matches finds none),
    nor any word of `also`."""
    words = _TOKEN.findall(low)
    return _BY_FIRST.keys().isdisjoint(words) and also.isdisjoint(words)


# Not an act: "carried out", "passed away", "passed on", "lost seats".
EXCLUDED_AFTER = {
    # "carried on campaigning" is not a vote, "carried on the same split" is
    "carried": re.compile(
        r"\s+(?:out|through|away|off)\b|\s+on\b(?!\s+(?:a|the)\s+(?:same\s+|\w+\s+)?(?:split|vote|show|division|card|majority|nod))",
        re.I,
    ),
    "passed": re.compile(
        r"\s+(?:away|on|down|through|out|over|round|to\b(?!\s+the\s+(?:nec|committee|officers)))", re.I
    ),
    "passing": re.compile(r"\s+(?:away|on|through)\b", re.I),
    "received": re.compile(
        r"\s+(?:£|\$|€|\d|more|over|thousands|hundreds|millions|abuse|threats|support\s+from)", re.I
    ),
    "lost": re.compile(
        r"\s+(?:seats?|votes?\s+(?:in|at)|control|the\s+(?:election|seat|by-?election))", re.I
    ),
    "recorded": re.compile(
        r"\s+(?:the\s+(?:best|highest|lowest|worst)|a\s+(?:record|vote\s+share)|\d)", re.I
    ),
    "established": re.compile(r"\s+(?:that|in\s+\d)", re.I),
}
# A negated act: "did not agree", "was not carried".
NEGATED_RE = re.compile(
    r"\b(?:did\s+not|didn[’']t|refused\s+to|declined\s+to|failed\s+to)\s+(agree|approve|accept|endorse|pass|support|back|adopt|ratify)\b",
    re.IGNORECASE,
)
CONSENSUS_RE = re.compile(
    r"\b(?:there\s+was|we\s+reached|the\s+nec\s+reached)\s+(?:a\s+)?(?:broad\s+|general\s+|clear\s+|strong\s+|unanimous\s+|overwhelming\s+|full\s+)?"
    r"(consensus|agreement)\s+(?:that|to|on|for)\b|\bconsensus\s+was\s+reached\b",
    re.IGNORECASE,
)
THANKS_RE = re.compile(
    r"\b(?:thanks|gratitude|appreciation|congratulations|condolences)\s+(?:we\s+|were\s+|was\s+)?(?:formally\s+)?"
    r"(?:expressed|extended|recorded|given|offered|sent|conveyed|placed\s+on\s+record)\b",
    re.IGNORECASE,
)
THANKS_CUE = re.compile(r"thanks|gratitude|appreciation|congratulations|condolences")
THANKS_NOUN = re.compile(
    r"\b(?:thanks|gratitude|appreciation|tribute|congratulations|condolences|sympathy)\b", re.I
)

# What a report-like object of "noted"/"received" looks like.
REPORT_NOUNS = re.compile(
    r"\b(?:reports?|papers?|updates?|results?|minutes|accounts|statements?|documents?|presentations?|briefings?|"
    r"reviews?|submissions?|figures|budget|audit|summary|recommendations?|findings|letters?|correspondence|"
    r"analysis|evaluation|returns|report-back|paper)\b",
    re.IGNORECASE,
)
MOTION_NOUNS = re.compile(
    r"\b(?:motions?|amendments?|proposals?|recommendations?|resolutions?|rule\s+changes?|changes|reports?|papers?|"
    r"plans?|appeals?|requests?|statements?|items?|documents?|budgets?|timetables?|guidance|codes?|polic(?:y|ies)|"
    r"procedures?|process|decisions?|applications?|nominations?|selections?|shortlists?|it|this|these|which|that|"
    r"manifesto|framework|strategy|response|protocol|rules?|proposition|suggestion)\b",
    re.IGNORECASE,
)
# Bodies whose acts are not the NEC's. Multi-word names first, so "Conference Arrangements Committee"
# is one marker and not "committee".
OTHER_BODIES = re.compile(
    r"\b(?:conference\s+arrangements\s+committee|cac|conference|scottish\s+executive(?:\s+committee)?|"
    r"welsh\s+executive(?:\s+committee)?|sec|wec|scottish\s+labour|welsh\s+labour|ncc|national\s+constitutional\s+committee|"
    r"jpc|joint\s+policy\s+committee|npf|(?:national\s+)?policy\s+forum|parliament|(?:house\s+of\s+)?commons|"
    r"(?:house\s+of\s+)?lords|government|ministers?|(?:shadow\s+)?cabinet|plp|mps|meps|eplp|clps?|branch(?:es)?|"
    r"courts?|judges?|tribunal|tories|tory|conservatives|lib\s+dems?|liberal\s+democrats|snp|ukip|greens|plaid|"
    r"reform(?:\s+uk)?|councils?|labour\s+groups?|lgcs?|unions?|tuc|unite|unison|gmb|usdaw|cwu|ehrc|commission|"
    r"commissioners|jlm|young\s+labour|labour\s+students|lga|alc|the\s+party|labour|staff|voters|electorate|"
    r"members\s+(?:of\s+the\s+party|nationally)|party\s+members|the\s+membership|(?:the\s+)?states?|they)\b",
    re.IGNORECASE,
)
NEC_ACTORS = re.compile(
    r"\b(?:we|us|nec|national\s+executive(?:\s+committee)?|ruling\s+body|governing\s+body|(?:sub-?)?committee|panel|working\s+group|officers|"
    r"the\s+meeting|the\s+executive|board|everyone|everybody|all\s+members|all\s+of\s+us|nec\s+members|"
    r"org(?:anisation(?:al)?)?\s+(?:sub-?)?committee|disputes|equalities|procedures|officers'?\s+group)\b",
    re.IGNORECASE,
)
PERSON_ACTOR = re.compile(r"(?:^|\s)(?:I|he|she|He|She)\s*$|(?:^|\s)[A-Z][a-z’']+(?:\s+[A-Z][\w’'-]+)*\s*$")


def _words(text: str) -> list[str]:
    """A word list written as one string (easier to read and extend than a list of quoted words)."""
    return text.split()


BE_PASSIVE = frozenset({"was", "were", "been", "being"})
PRESENT_BE = frozenset({"is", "are", "am", "be"})
MODALS = frozenset(
    _words(
        "will would shall should could may might must can cannot to going 'll ’ll won't won’t wouldn't "
        "needs need"
    )
)
SKIPPED = frozenset(
    _words(
        "then also subsequently unanimously formally finally duly overwhelmingly narrowly eventually later "
        "ultimately all both further again initially provisionally therefore thus so jointly broadly "
        "comfortably easily reluctantly just clearly quickly nevertheless however nonetheless immediately "
        "now rightly overwhelmingly heavily decisively"
    )
)
ADJECTIVE_BEFORE = frozenset(
    _words(
        "the a an this these those its our their his her newly recently previously already as freshly "
        "originally jointly"
    )
)
SUBORDINATE = frozenset(
    _words("when since if unless whether once until whenever as whoever whatever whichever")
)
PAST_MARKERS = re.compile(
    r"\b(?:last\s+(?:year|month|time|autumn|spring|summer|winter|week's\s+meeting)|in\s+the\s+past|previously|"
    r"years?\s+ago|months?\s+ago|weeks?\s+ago|at\s+(?:its|the|our|their|a)\s+(?:last|previous|earlier)\s+meeting|"
    r"already|historically|back\s+in\s+(?:19|20)\d\d|earlier\s+this\s+(?:month|year|week|summer|spring|autumn)|"
    r"last\s+week|recently)\b|^\s*in\s+(?:19|20)\d\d\b",
    re.IGNORECASE,
)
HYPOTHETICAL = re.compile(
    r"\b(?:if|unless|whether|in\s+case|suppose|supposing|hope\s+(?:that|the)|wish)\b", re.IGNORECASE
)
TIMELINE_LINE = re.compile(
    r"\s*(?:(?:january|february|march|april|may|june|july|august|september|october|november|december)\s+\d{4}"
    r"|\d{4}\s{2,}|today\s{2,})",
    re.IGNORECASE,
)

UNANIMOUS = re.compile(
    r"\b(?:unanimous(?:ly)?|nem\.?\s*con\.?|without\s+dissent|without\s+opposition|with\s+no\s+(?:votes\s+against|opposition|dissent)|no[\s-]one\s+voted\s+against|nobody\s+voted\s+against)\b",
    re.IGNORECASE,
)
ACCLAMATION = re.compile(r"\bby\s+acclam(?:ation|ation)|\bacclaimed\b|\bunopposed\b", re.IGNORECASE)
CONSENSUS = re.compile(
    r"\b(?:by\s+consensus|consensus|without\s+a\s+vote|general\s+agreement|broad\s+agreement|everyone\s+agreed|all\s+agreed|agreed\s+by\s+all)\b",
    re.IGNORECASE,
)
CONTESTED = re.compile(
    r"\b(?:contested\s+vote|following\s+a\s+(?:\w+\s+)?vote|after\s+a\s+(?:\w+\s+)?vote|on\s+a\s+(?:\w+\s+)?vote|"
    r"(?:a\s+)?vote\s+was\s+(?:taken|held|called)|put\s+to\s+a\s+vote|(?:went|go|going)\s+to\s+a\s+vote|"
    r"by\s+a\s+(?:\w+\s+)?majority|narrowly|split\s+vote|card\s+vote|recorded\s+vote|roll[\s-]call|"
    r"(?:members\s+|some\s+|several\s+|\d+\s+)?(?:voting|voted)\s+against|dissenting|dissented|show\s+of\s+hands)\b",
    re.IGNORECASE,
)

# "agreed to refer …": the infinitive after "agreed/decided/voted to" names the act.
INFINITIVE_OUTCOME = {
    "refer": "referred",
    "defer": "referred",
    "postpone": "referred",
    "delay": "referred",
    "remit": "referred",
    "reject": "rejected",
    "oppose": "rejected",
    "note": "noted",
    "receive": "noted",
}
INFINITIVE_RE = re.compile(r"\s+(?:unanimously\s+|formally\s+|instead\s+)?to\s+(\w+)", re.IGNORECASE)
