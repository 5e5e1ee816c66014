"""What an edit changed in a report's record, in words: "vote count changed: 22–12 → 21–12".

Pure. The decisions of the two records are paired first by their exact sentence, then by the
likeness of their sentences (an edited count changes the sentence, and with it the paragraph's id,
so ids cannot pair them); a decision left unpaired was added or is gone.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from necwatch.record.model import Decision, Record

# Two sentences this alike (difflib ratio) state the same decision, edited.
SIMILAR = 0.6
# Or this much of the shorter sentence is found in the longer one, and they are this alike overall.
CONTAINED, CONTAINED_RATIO = 0.9, 0.4
# Fuzzy pairing compares every left-over old decision with every new one: past this many pairs
# (a rewritten 60-decision report), only exact sentences pair, the rest reads as added and gone.
MAX_COMPARISONS = 2500
# An alert names at most this many changes, then counts the rest.
MAX_CHANGES = 12
QUOTE_CHARS = 120


def count_words(d: Decision) -> str:
    """A decision's vote count as readers see it: "22–12", "22–12 with 3 abstentions", or "count
    not reported" when the text states none."""
    if d.votes_for is None and d.votes_against is None and d.abstentions is None:
        return "count not reported"
    score = f"{_n(d.votes_for)}–{_n(d.votes_against)}"
    if d.abstentions is not None:
        score += f" with {d.abstentions} abstention{'' if d.abstentions == 1 else 's'}"
    return score


def _n(value: int | None) -> str:
    return "?" if value is None else str(value)


def _quote(d: Decision) -> str:
    text = " ".join((d.subject or d.quote).split())
    return "“" + (text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…") + "”"


def _key(d: Decision) -> tuple[str, str]:
    return (" ".join(d.quote.split()), d.subject or "")


def pair_decisions(
    old: tuple[Decision, ...], new: tuple[Decision, ...]
) -> tuple[list[tuple[Decision, Decision]], list[Decision], list[Decision]]:
    """(paired (old, new), gone, added): exact sentences first, then the most alike sentences."""
    pairs: list[tuple[int, int]] = []
    free_old = list(range(len(old)))
    free_new: list[int] = []
    waiting: dict[tuple[str, str], list[int]] = {}
    for i in free_old:
        waiting.setdefault(_key(old[i]), []).append(i)
    for j, d in enumerate(new):
        same = waiting.get(_key(d))
        if same:
            pairs.append((same.pop(0), j))
        else:
            free_new.append(j)
    taken = {i for i, _ in pairs}
    free_old = [i for i in free_old if i not in taken]
    if free_old and free_new and len(free_old) * len(free_new) <= MAX_COMPARISONS:
        scored = []
        for i in free_old:
            a = " ".join(f"{old[i].subject or ''} {old[i].quote}".split())
            for j in free_new:
                b = " ".join(f"{new[j].subject or ''} {new[j].quote}".split())
                ratio = _likeness(a, b)
                if ratio >= SIMILAR:
                    scored.append((-ratio, abs(i - j), i, j))
        used_old: set[int] = set()
        used_new: set[int] = set()
        for _, _, i, j in sorted(scored):
            if i in used_old or j in used_new:
                continue
            used_old.add(i)
            used_new.add(j)
            pairs.append((i, j))
        free_old = [i for i in free_old if i not in used_old]
        free_new = [j for j in free_new if j not in used_new]
    pairs.sort(key=lambda p: p[1])
    return (
        [(old[i], new[j]) for i, j in pairs],
        [old[i] for i in free_old],
        [new[j] for j in free_new],
    )


def _likeness(a: str, b: str) -> float:
    """How alike two sentences are (0-1): difflib's ratio, or, when one is nearly all inside the
    other ("The motion was carried." → "… carried by 20 votes to 9."), at least SIMILAR."""
    m = SequenceMatcher(None, a, b, autojunk=False)
    if m.real_quick_ratio() < CONTAINED_RATIO or m.quick_ratio() < CONTAINED_RATIO:
        return 0.0
    ratio = m.ratio()
    if ratio >= SIMILAR:
        return ratio
    matched = sum(block.size for block in m.get_matching_blocks())
    return SIMILAR if ratio >= CONTAINED_RATIO and matched >= CONTAINED * min(len(a), len(b)) else ratio


def _decision_changes(a: Decision, b: Decision) -> list[str]:
    """What changed in one decision, as one phrase naming it once: "vote count changed: 21–12 →
    12–21 and outcome changed: carried → rejected (“…”)"; none when nothing a reader cares about did."""
    out = []
    if (a.votes_for, a.votes_against, a.abstentions) != (b.votes_for, b.votes_against, b.abstentions):
        out.append(f"vote count changed: {count_words(a)} → {count_words(b)}")
    if a.outcome != b.outcome:
        out.append(f"outcome changed: {a.outcome} → {b.outcome}")
    if a.manner != b.manner:
        out.append(f"manner changed: {a.manner or 'not stated'} → {b.manner or 'not stated'}")
    for role, x, y in (("mover", a.mover, b.mover), ("seconder", a.seconder, b.seconder)):
        if x != y:
            out.append(f"{role} changed: {x or 'not stated'} → {y or 'not stated'}")
    return [f"{' and '.join(out)} ({_quote(b)})"] if out else []


def describe(old: Record, new: Record) -> list[str]:
    """The changes from `old` to `new` a reader cares about, one phrase each: the meeting's date or
    kind, and each decision's count, outcome, manner, mover and seconder, added or gone. Empty when
    the records say the same."""
    out: list[str] = []
    if old.meeting.date != new.meeting.date:
        out.append(
            f"meeting date changed: {old.meeting.date or 'not found'} → {new.meeting.date or 'not found'}"
        )
    if old.meeting.kind != new.meeting.kind and old.meeting.date == new.meeting.date:
        out.append(
            f"meeting kind changed: {old.meeting.kind or 'not found'} → {new.meeting.kind or 'not found'}"
        )
    pairs, gone, added = pair_decisions(old.decisions, new.decisions)
    for a, b in pairs:
        out.extend(_decision_changes(a, b))
    out.extend(f"decision added: {b.outcome}, {count_words(b)}: {_quote(b)}" for b in added)
    out.extend(f"decision gone: {_quote(a)}" for a in gone)
    if len(out) > MAX_CHANGES:
        rest = len(out) - MAX_CHANGES + 1
        out = [*out[: MAX_CHANGES - 1], f"and {rest} more record changes"]
    return out
