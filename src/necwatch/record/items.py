"""Agenda items: heading lines, office reports and prose sequencing ("We then …", "Finally, …").

A report walks through the meeting's agenda. An item starts at a heading line ("Treasurer's
report", "Rule changes"), at a paragraph that opens an office's report ("Keir then gave his
leader's report", "The General Secretary reported on …", "The Organisation Committee agreed …"),
or at one that opens with sequencing ("Our first substantive item was …", "The next item was …",
"We then …", "Then we moved on to …", "Finally, we …"). It covers its paragraphs up to the next
item; paragraphs before the first item (the preamble) belong to none, and page furniture after the
report ("Post a Comment", "3 comments:") ends the last item. Only the first sentence of a
paragraph is read, so the scan is linear in the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from necwatch.normalize import _MONTH, _QUOTES, _TITLE_REPORT, _ZERO_WIDTH, normalized_text
from necwatch.record.model import Item, Paragraph
from necwatch.record.text import _LEAD_IN_VERB, is_heading, lower_keeps_words, sentences

TITLE_MAX_WORDS = 8
"""A title from a sentence is clipped to this many words ("Motion on Jeremy Corbyn's candidacy")."""
FIRST_SENTENCE_MAX_CHARS = 600
"""Only this much of a paragraph's opening is read for cues (a 100 kB paragraph is one sentence)."""


@dataclass(frozen=True)
class Office:
    """An office or committee whose report is an agenda item."""

    key: str  # what the current item's title must mention for a repeat to be the same item
    title: str
    pattern: str  # regex, case-insensitive, of the names reports use
    committee: bool = False  # a committee opens an item by being a sentence's subject


OFFICES: tuple[Office, ...] = (
    Office("deputy leader", "Deputy Leader's report", r"deputy\s+leader"),
    Office("leader", "Leader's report", r"(?:party\s+)?leader"),
    Office("general secretary", "General Secretary's report", r"general\s+secretary|gen\.?\s+sec\.?"),
    Office("treasurer", "Treasurer's report", r"(?:party\s+)?treasurer"),
    Office("chair", "Chair's report", r"(?:NEC\s+)?chair(?:person|man|woman)?"),
    Office("eplp", "EPLP report", r"EPLP|European\s+Parliamentary\s+Labour\s+Party|leader\s+of\s+the\s+EPLP"),
    Office("plp", "PLP report", r"PLP|Parliamentary\s+Labour\s+Party"),
    Office("alc", "ALC report", r"ALC|Association\s+of\s+Labour\s+Councillors|LGA\s+Labour\s+Group"),
    Office("cac", "CAC report", r"CAC|Conference\s+Arrangements\s+Committee", committee=True),
    Office(
        "organisation",
        "Organisation Committee",
        r"(?:NEC\s+)?Org(?:anisation|anization)?\s+(?:sub[\s-]?)?committee|Org\s+sub",
        committee=True,
    ),
    Office("disputes", "Disputes Panel", r"Disputes\s+(?:panel|(?:sub[\s-]?)?committee)", committee=True),
    Office(
        "equalities", "Equalities Committee", r"Equalit(?:y|ies)\s+(?:sub[\s-]?)?committee", committee=True
    ),
    Office(
        "home policy", "Home Policy Committee", r"Home\s+Policy\s+(?:sub[\s-]?)?committee", committee=True
    ),
    Office(
        "international",
        "International Committee",
        r"International\s+(?:Policy\s+)?(?:sub[\s-]?)?committee",
        committee=True,
    ),
    Office(
        "audit",
        "Audit and Risk Committee",
        r"Audit(?:,?\s+(?:and|&)\s+Risk(?:\s+Management)?)?\s+(?:sub[\s-]?)?committee|Risk\s+committee",
        committee=True,
    ),
    Office("business board", "Business Board", r"Business\s+Board", committee=True),
    Office("ncc", "NCC", r"NCC|National\s+Constitutional\s+Committee", committee=True),
    Office("jpc", "Joint Policy Committee", r"Joint\s+Policy\s+Committee|JPC", committee=True),
    Office("npf", "National Policy Forum", r"NPF|National\s+Policy\s+Forum", committee=True),
    Office(
        "governance",
        "Governance and Legal Committee",
        r"Governance(?:\s+and\s+Legal)?\s+committee",
        committee=True,
    ),
    Office("executive director", "Executive Directors' reports", r"executive\s+directors?"),
)
_OFFICE = "|".join(f"(?P<o{i}>{o.pattern})" for i, o in enumerate(OFFICES))
# Words before "Leader" that make it another body's leader ("EPLP Leader", "Scottish Labour leader").
_OTHER_LEADER = re.compile(
    r"(?:deputy|eplp|group|council|scottish(?:\s+labour)?|welsh(?:\s+labour)?|opposition|house|"
    r"union|labour\s+group|tory|conservative|lib\s+dem|snp|former|acting|interim|regional)\s*$",
    re.IGNORECASE,
)
_GIVE = (
    r"(?:gave|give|giving|began|begin|started|opened|presented|delivered|introduced|received|"
    r"heard|had|took\s+(?:us\s+)?through|moved\s+on\s+to|turned\s+to|came\s+to|noted|considered)"
)
_REPORT_WORD = r"(?:report|reports|update|briefing|presentation)\b"
# "Keir then gave his leader's report", "we received the Treasurer's report", "the EPLP report"
_OFFICE_REPORT = re.compile(
    rf"(?:\b{_GIVE}\s+(?:with\s+)?(?:(?:his|her|their|the|a|an|its|our)\s+)?"
    rf"|^(?:(?:in|at|under|during)\s+)?(?:(?:his|her|their|the)\s+)?)"
    rf"(?:(?:verbal|written|regular|usual|oral|annual|quarterly)\s+)?(?:{_OFFICE})(?:'s|s')?\s+{_REPORT_WORD}",
    re.IGNORECASE,
)
# "The General Secretary reported on …", "The Organisation Committee agreed …", "At the NCC, …"
_SUBJECT = re.compile(
    rf"^(?P<at>(?:at|in|from)\s+)?(?:the\s+)?(?:(?:chair|chairman|chairwoman|convenor|vice[\s-]chair)\s+of\s+"
    rf"(?:the\s+)?)?(?:{_OFFICE})\b(?:\s*\([^()]{{0,30}}\))?,?\s+"
    rf"(?:then\s+|also\s+|next\s+)?(?P<verb>[\w-]+)",
    re.IGNORECASE,
)
_REPORTING = frozenset(
    "reported reports report gave presented updated introduced began opened spoke delivered briefed "  # noqa: SIM905
    "took outlined explained informed told".split()
)
# "David Evans began his report as General Secretary", "we received a report from the Treasurer"
_REPORT_AS = re.compile(
    rf"\breport(?:s|ed|ing)?\s+(?:to\s+(?:us|the\s+NEC)\s+)?(?:as|from|of|for|on\s+behalf\s+of)\s+"
    rf"(?:the\s+|our\s+)?(?:{_OFFICE})\b",
    re.IGNORECASE,
)
# "In his report, the General Secretary …"
_IN_REPORT = re.compile(
    rf"^in\s+(?:his|her|their|its|the)\s+(?:\w+\s+)?report,?\s+(?:the\s+)?(?:{_OFFICE})\b", re.IGNORECASE
)
_REPORT_HINT = re.compile(r"report|update|briefing|presentation", re.IGNORECASE)  # what the four need
# "Keir Starmer, the Leader, gave his report", "The Treasurer then presented her update"
_GAVE_REPORT = re.compile(
    rf"\b(?:{_OFFICE}),?\s+(?:then\s+|also\s+)?(?:gave|delivered|presented|began|opened|started)\s+"
    rf"(?:his|her|their|its|a|the)\s+(?:\w+\s+)?(?:report|update)\b",
    re.IGNORECASE,
)
# "We heard from the new EPLP leader, who …"
_HEARD_FROM = re.compile(
    rf"\bheard\s+from\s+(?:the\s+|our\s+)?(?:(?:new|outgoing)\s+)?(?:{_OFFICE})\b",
    re.IGNORECASE,
)
# "Jennie Formby, the General Secretary, reported that …"
_APPOSITION = re.compile(
    rf",\s+(?:the\s+|our\s+)?(?:{_OFFICE}),\s+(?:then\s+|also\s+)?"
    r"(?:reported|spoke|updated|briefed|outlined|presented|gave|began|opened)\b",
    re.IGNORECASE,
)
_SMALL = frozenset(
    "a an the of on in at to for and or with by from our its their his her as into about over "  # noqa: SIM905
    "that this".split()
)
_PRONOUNS = frozenset({"it", "this", "that", "these", "those", "them", "him", "her", "us", "all", "both"})
_VERBS = (
    r"(?:moved\s+on\s+to|moved\s+to|turned\s+to|went\s+on\s+to\s+\w+|came\s+to|discussed|considered|received|"
    r"heard(?:\s+from)?|had|looked\s+at|debated|agreed|noted|approved|reviewed|endorsed|adopted|elected|"
    r"appointed|took|dealt\s+with|addressed|focused\s+on|spent\s+\w+\s+(?:time\s+)?on)"
)
_WE = r"(?:we|the\s+NEC|the\s+committee|the\s+meeting)"
_SEQUENCE = re.compile(
    # "Our first substantive item was …", "The next item was …", "The final item on the agenda was …"
    r"^(?:our|the)\s+(?:(?:first|second|third|fourth|fifth|next|last|final|main|other|penultimate|only|big|"
    r"biggest|major|key|principal|substantive|formal|agenda)\s+)+"
    r"(?:item|items|business|discussion|debate|paper|report|session|issue|matter)"
    r"(?:\s+(?:of\s+business|on\s+the\s+agenda|of\s+the\s+(?:day|meeting|evening|afternoon|morning)))?\s+"
    r"(?:was|were|is|concerned|covered|dealt\s+with|related\s+to)\s+"
    r"(?:on\s+|about\s+)?(?P<a>.+)"
    # "A further item was …", "Item 5 was …", "The rest of the meeting was spent on …"
    r"|^(?:a\s+further|another|one\s+other|item\s+\d+)\s+(?:(?:item|issue|matter|paper|report)\s+)?"
    r"(?:was|were|concerned|covered)\s+(?:on\s+|about\s+)?(?P<h>.+)"
    r"|^(?:the\s+)?(?:rest|bulk|majority|most|remainder|main\s+business|main\s+part)\s+of\s+(?:the\s+)?"
    r"(?:meeting|time|day|afternoon|morning|session)\s+(?:was|were)\s+(?:spent\s+on|taken\s+up\s+(?:by|with)|"
    r"devoted\s+to|given\s+(?:over\s+)?to|dedicated\s+to|about|on)\s+(?P<i>.+)"
    # "There followed a discussion on …", "There was then a presentation about …"
    r"|^there\s+(?:followed|then\s+followed|was\s+then|were\s+then)\s+(?P<j>.+)"
    # "We received a report on …", "The NEC heard a presentation about …"
    rf"|^{_WE}\s+(?:also\s+)?(?:received|heard|had|were\s+given|was\s+given)\s+(?:a|an|the)\s+"
    r"(?:(?:brief|short|detailed|verbal|written|further|final)\s+)?(?:report|presentation|update|paper|briefing)s?"
    r"\s+(?:on|about|regarding|concerning)\s+(?P<k>.+)"
    # "We then …", "The NEC then moved on to …"
    rf"|^{_WE}\s+(?:then|next|subsequently)\s+{_VERBS}\s+(?P<b>.+)"
    rf"|^{_WE}\s+(?:moved|went|turned)\s+on\s+to\s+(?:discuss(?:ing)?\s+|consider(?:ing)?\s+)?(?P<c>.+)"
    # "Then we moved on to …", "Next, we …", "After that the NEC …", "Finally, we …"
    rf"|^(?:then|next|after\s+(?:that|this|lunch|the\s+break)|afterwards|following\s+(?:this|that)|finally|lastly|"
    rf"last\s+of\s+all|later(?:\s+on)?|subsequently|in\s+the\s+(?:afternoon|morning)(?:\s+session)?),?\s+"
    rf"{_WE}\s+(?:then\s+|also\s+)?{_VERBS}\s+(?P<d>.+)"
    # "Finally, there was a discussion on …", "Next came the rule changes"
    r"|^(?:then|next|finally|lastly),?\s+(?:there\s+was|came|was|we\s+had|up\s+was)\s+(?P<e>.+)"
    # "First up was …", "First up to report to us was …"
    r"|^first\s+up\s+(?:(?:to\s+report|for\s+discussion)\s+(?:to\s+us\s+)?)?(?:was|were|came)\s+(?P<g>.+)"
    # "Moving on to the budget, …", "Turning to rule changes, …"
    r"|^(?:moving|turning|coming)\s+(?:on\s+)?to\s+(?P<f>.+)",
    re.IGNORECASE,
)
_LEADING_FILLER = re.compile(
    r"^(?:(?:a|an|the|our|some|two|three|several)\s+)?"
    r"(?:(?:brief|short|long|lengthy|detailed|wide-ranging|general|full|final|further|verbal|written|"
    r"lively|useful|good|important|passionate|heated|robust|excellent|very)\s+)*"
    r"(?:discussion|debate|presentation|update|paper|briefing|conversation|report|item|session|look)s?\s+"
    r"(?:on|about|of|regarding|concerning|around|at)\s+"
    r"|^(?:(?:a|an|the)\s+)?(?:suite|number|range|series|set|package|raft|couple|list|host)\s+of\s+"
    r"|^(?:to\s+)(?:[a-z]+\s+)"
    r"|^(?:(?:a|an|the|our|some)\s+)",
    re.IGNORECASE,
)
# Where a title phrase ends: a strong boundary always, a weak one when three words or more precede
# it ("progress made by the NEC" stays whole; "the timetable for selections, which …" is cut).
_CLIP_STRONG = re.compile(
    r"[,;:(]|\s[–—-]\s|\s(?:which|who|whom|where|when|because|so\s+that|in\s+order|and\s+then|but|while|whilst|"
    r"if|from|with|following|after|before|led\s+by|given|to\s+(?:be|ensure|make|allow|enable|help)|"
    r"and\s+(?:agreed|noted|decided|asked|called|welcomed|discussed|approved|endorsed|said|was|were|is|are|"
    r"that|then|also|we|it))\s",
    re.IGNORECASE,
)
_CLIP_WEAK = re.compile(r"\s(?:as|by|since|until|including|that)\s", re.IGNORECASE)
# Page furniture that ends the report: comment sections, share bars, "related" lists.
_FURNITURE = re.compile(
    r"^(?:post\s+a\s+comment|leave\s+a\s+(?:reply|comment)|\d+\s+(?:comments?|responses?|replies)|comments?|"
    r"responses?|share\s+this|related(?:\s+posts?|\s+articles?)?|tags?|categories|filed\s+under|posted\s+(?:in|by)"
    r"|more\s+from\b|print\s+friendly\b|sign\s+up\b|subscribe\b|continue\s+reading|read\s+more|previous\s+post"
    r"|next\s+post|newer\s+post|older\s+post|tag\s+archives|photo|image|home|like\s+this|loading)\b",
    re.IGNORECASE,
)
# Furniture written as a sentence (not a heading): newsletter and share prompts.
_FURNITURE_LINE = re.compile(
    r"(?:sign\s+up\s+(?:to|for|here)|subscribe\s+(?:to|for|here)|share\s+this|print\s+friendly|more\s+from\s|"
    r"continue\s+reading|read\s+more\b|leave\s+a\s+(?:reply|comment)|post\s+a\s+comment)",
    re.IGNORECASE,
)
# A blog comment's header: "Anonymous Andrea said...", "Jo Bloggs says:", "Sam wrote:".
_COMMENT_HEADER = re.compile(r"[\w\s.'’@-]{1,60}\s(?:said|says|wrote)\s*(?:\.\.\.|…|:)", re.IGNORECASE)
# A sign-off ends the report too ("Best wishes", "In solidarity", "Thanks for reading").
_SIGN_OFF = re.compile(
    r"(?:best\s+wishes|(?:kind|best|warm)\s+regards|regards|(?:in\s+)?solidarity|thanks|many\s+thanks|"
    r"thank\s+you|(?:thanks|thank\s+you)\s+for\s+reading|yours(?:\s+(?:sincerely|faithfully))?|cheers|best)\W*",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_DATE_WORDS = re.compile(
    rf"\b(?:{_MONTH}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|am|pm|st|nd|rd|th)\b|\d+|[^\w\s]",
    re.IGNORECASE,
)


def _office_at(m: re.Match[str]) -> Office | None:
    for i, office in enumerate(OFFICES):
        if m.group(f"o{i}") is not None:
            at = m.start(f"o{i}")
            if office.key == "leader" and _OTHER_LEADER.search(m.string, max(0, at - 25), at):
                return None
            return office
    return None


# A word (lower case) in every match of _OFFICE: one per alternative of OFFICES' patterns.
_OFFICE_NEEDLES = (
    "leader",
    "secretary",
    "gen",
    "treasurer",
    "chair",
    "plp",
    "european",
    "parliamentary",
    "alc",
    "association",
    "lga",
    "cac",
    "conference",
    "org",
    "disputes",
    "equalit",
    "home",
    "international",
    "audit",
    "risk",
    "business",
    "ncc",
    "national",
    "joint",
    "jpc",
    "npf",
    "governance",
    "executive",
)


def office_of(sentence: str) -> Office | None:
    """The office or committee whose report `sentence` opens, if any: its report named ("gave his
    leader's report"), the office reporting ("The General Secretary reported …", "… began his
    report as General Secretary"), or a committee as the sentence's subject."""
    if lower_keeps_words(sentence):  # where lower() holds every word re.IGNORECASE matches
        low = sentence.lower()
        if not any(n in low for n in _OFFICE_NEEDLES):
            return None  # every pattern below needs an office's name, which holds one of these
    patterns = (_OFFICE_REPORT, _REPORT_AS, _IN_REPORT, _GAVE_REPORT) if _REPORT_HINT.search(sentence) else ()
    if "," in sentence:
        patterns = (*patterns, _APPOSITION)
    if "heard" in sentence.lower():
        patterns = (*patterns, _HEARD_FROM)
    for pattern in patterns:
        for m in pattern.finditer(sentence):  # finditer: past "the Scottish Labour leader's report"
            if (office := _office_at(m)) is not None:
                return office
    subject = _SUBJECT.match(sentence)
    if subject is None or (office := _office_at(subject)) is None:
        return None
    return office if office.committee or subject.group("verb").lower() in _REPORTING else None


def clip_title(phrase: str) -> str | None:
    """A short human title from the words after a cue: fillers dropped ("a discussion on", "to
    conclude"), cut at the first clause boundary, at most TITLE_MAX_WORDS words, capitalised."""
    text = " ".join(phrase.split())
    for _ in range(3):
        m = _LEADING_FILLER.match(text)
        if not m or m.end() >= len(text):
            break
        text = text[m.end() :]
    strong = _CLIP_STRONG.search(text, 1)
    end = strong.start() if strong else len(text)
    for weak in _CLIP_WEAK.finditer(text, 1, end):
        if len(text[: weak.start()].split()) >= 3:
            end = weak.start()
            break
    text = text[:end]
    words = text.split()[:TITLE_MAX_WORDS]
    while words and (words[-1].lower() in _SMALL or not any(c.isalnum() for c in words[-1])):
        words.pop()
    title = " ".join(words).strip(" .,;:!?\"'“”‘’)")
    if len(title) < 2 or not any(c.isalpha() for c in title) or title.lower() in _PRONOUNS:
        return None
    return title[0].upper() + title[1:]


_SPACES = re.compile(r"\s+")


def _normalized(text: str) -> str:
    """normalized_text: on text that its translations (zero-width characters dropped, typographic
    quotes and dashes made ASCII) leave ASCII and without a URL (most sentences), where NFKC and the
    second translation change nothing, only its folding of spaces (several times cheaper)."""
    if not text.isascii() or "`" in text:
        text_ = text.translate(_ZERO_WIDTH).translate(_QUOTES)
        if not text_.isascii():
            return normalized_text(text)
    else:
        text_ = text
    if "://" in text_:
        return normalized_text(text)
    return _SPACES.sub(" ", text_).strip()


_SPACE_RUN = re.compile(r"\s*")


def _first_sentence(p: Paragraph) -> str:
    return _normalized(_first_raw(p))


def _first_raw(p: Paragraph) -> str:
    """The paragraph's first sentence as written (within its first FIRST_SENTENCE_MAX_CHARS)."""
    text = p.text
    if len(text) > FIRST_SENTENCE_MAX_CHARS:
        # The paragraph's own split (which people and decisions read too) has the same first sentence
        # as its head's when that sentence's end, with what the split looks at after it (the spaces
        # and the next character or two), lies inside the head.
        spans = sentences(text)
        after = _SPACE_RUN.match(text, spans[0][1]) if spans else None
        if after is not None and after.end() + 2 <= FIRST_SENTENCE_MAX_CHARS:
            return text[spans[0][0] : spans[0][1]]
    head = text[:FIRST_SENTENCE_MAX_CHARS]
    spans = sentences(head)
    return head[spans[0][0] : spans[0][1]] if spans else ""


def _no_cue(first: str) -> bool:
    """Whether a first sentence surely opens no item (most do not): on ASCII text without a backquote
    or a ":" (which _RUN_IN needs and every URL holds), which _normalized only folds the spaces of, no
    office's word (office_of) and no match of _SEQUENCE on it as written (its patterns read a run of
    spaces as one: the same answer as on the folded text). False when unsure: the full reading follows."""
    if not first.isascii() or ":" in first or "`" in first:
        return False
    low = first.lower()
    for n in _OFFICE_NEEDLES:
        if n in low:
            return False
    return _SEQUENCE.match(first) is None


def _date_line(text: str) -> bool:
    """A heading that is a date or a timestamp, not an agenda item ("Wednesday, January 24, 2024")."""
    return bool(_DIGIT.search(text)) and len(_DATE_WORDS.sub(" ", text).split()) <= 1


# A run-in heading: "Treasurer's report: income was ahead of budget."
_RUN_IN = re.compile(r"^([^:.!?]{3,60}):\s+\S")
_NUMBERING = re.compile(r"^(?:\(?\d{1,2}[.)]|\(?[a-zA-Z][.)]|[ivxIVX]{1,4}[.)])\s+")


def heading_title(text: str) -> str:
    """A heading as an item's title: without its numbering ("3. ") or closing ":"."""
    title = _NUMBERING.sub("", _normalized(text)).rstrip(" :;.…").strip()
    return title or text


def _cue(p: Paragraph) -> tuple[str, str | None] | None:
    """(title, office key) when paragraph `p` opens an item by its words."""
    raw = _first_raw(p)
    if _no_cue(raw):
        return None
    first = _normalized(raw)
    if not first:
        return None
    office = office_of(first)
    if office is not None:
        return office.title, office.key
    run_in = _RUN_IN.match(first)
    if (
        run_in
        and len(run_in.group(1).split()) >= 2  # "Note: …", "Update: …" are not items
        and is_heading(run_in.group(1))
        and not _LEAD_IN_VERB.search(run_in.group(1))
    ):
        return heading_title(run_in.group(1)), None
    m = _SEQUENCE.match(first)
    if m is None:
        return None
    rest = next(g for g in m.groups() if g is not None)
    title = clip_title(rest)
    if title is None:
        return None
    for office in OFFICES:  # "Moving on to the NCC, …"
        if re.fullmatch(office.pattern, title, re.IGNORECASE):
            return office.title if not office.committee else title, office.key
    return title, None


def _names(title: str, key: str) -> bool:
    """Whether an item's title names the office `key` ("Leader & Deputy Leader's report" names the
    leader; "Deputy Leader's report" and "Leadership election" do not)."""
    prefix = r"(?<!deputy\s)" if key == "leader" else ""
    return re.search(rf"{prefix}\b{re.escape(key)}\b", title, re.IGNORECASE) is not None


def find_items(paragraphs: tuple[Paragraph, ...]) -> tuple[Item, ...]:
    """The agenda items of a report, in order, each with the ids of the paragraphs it covers."""
    items: list[tuple[str, list[str], str | None, bool]] = []  # title, ids, office key, from heading
    current: tuple[str, list[str], str | None, bool] | None = None
    n = len(paragraphs)
    ended = False
    introduced = False  # in the entries of a list introduced by "…:"
    for i, p in enumerate(paragraphs):
        start: tuple[str, str | None, bool] | None = None
        if len(p.text) <= 80 and _COMMENT_HEADER.fullmatch(p.text):
            current, ended = None, True  # the comments under a post
            continue
        if not p.heading and len(p.text) <= 160 and _FURNITURE_LINE.match(p.text):
            current, ended = None, True  # "Sign up to our daily email …"
            continue
        if p.heading:
            title = p.text.rstrip(" :;.…")
            if _FURNITURE.match(title):
                current, ended = None, True  # after page furniture only headings open items
                continue
            if _SIGN_OFF.fullmatch(title):
                current = None
                continue
            # A label over another heading, or a line that the next one continues in lower case
            # ("Luke Akehurst" / "is director of …"), is not an item's heading.
            nxt = paragraphs[i + 1] if i + 1 < n else None
            if not (nxt is None or nxt.heading or nxt.text[:1].islower() or _date_line(title)):
                title = heading_title(p.text)
                if not _TITLE_REPORT.search(title):  # the report's own title repeated in the body
                    start = (title, None, True)
        elif (
            # a list entry opens no item, unless the report is written as numbered paragraphs
            # ("1. Keir gave the Leader's report …") outside a list introduced by "…:"
            (not p.bullet or (p.marker.strip("(").startswith(tuple("0123456789")) and not introduced))
            and not ended
            and not (i > 0 and paragraphs[i - 1].text.endswith(":"))  # an entry of an introduced list
            and (cue := _cue(p)) is not None
        ):
            title, key = cue
            led_by_heading = current is not None and current[3] and current[1] == [paragraphs[i - 1].id]
            same = current is not None and (
                current[0].casefold() == title.casefold()
                or (key is not None and (key == current[2] or _names(current[0], key)))
            )
            if not (led_by_heading or same):
                start = (title, key, False)
        if p.text.endswith(":") and not p.bullet:
            introduced = True
        elif not p.bullet:
            introduced = False
        if start is not None:
            current = (start[0], [p.id], start[1], start[2])
            items.append(current)
        elif current is not None:
            current[1].append(p.id)
    return tuple(Item(title=t, paragraph=ids[0], paragraphs=tuple(ids)) for t, ids, _, _ in items)
