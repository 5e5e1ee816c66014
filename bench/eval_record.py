"""Scores the report's record against the hand-annotated gold set: precision, recall and F1 per field.

    python bench/eval_record.py                 # the figures, one line a field
    python bench/eval_record.py --misses        # and, report by report, every miss
    python bench/eval_record.py --json          # the figures (and misses with --misses) as JSON
    python bench/eval_record.py --via cli       # through `necwatch inspect FILE --url URL --json`
    python bench/eval_record.py --set composed  # the composed reports (counts, elections, bullets)

The gold set is `bench/record_gold/*.json`: one file a report, annotated by reading (docs/record.md,
"Evaluation"). Each report's input is what a run stores: the reference-web page (the bundled copy,
src/necwatch/demo_data/reference-web) read by the code `necwatch inspect` runs, whose title,
body_text and publication date go to `extract_record`; a post that already carries a "record" (the
inspect JSON once the store part adds it) is scored as it is. A gold file may instead carry its own
`body` (a report that exists only as seed text, or one composed for the evaluation: the composed
reports hold the rules the seeds lack, such as counts with abstentions, elections, a defeat's
count order, "the following were agreed:" bullets; they are scored apart with `--set composed`).

Matching, all one-to-one and greedy by similarity:
- decisions: by quote, the sentence's words (a predicted quote shares at least half of the longer
  one's words with the gold quote or one of its `also` sentences); one sentence holding several
  decisions is told apart by `subject`. Outcome and manner accuracy are on matched decisions.
- vote counts: on matched decisions, a stated count (gold non-null) is exact, wrong or missed; a
  predicted count where gold has none (or on a decision gold does not have) is invented.
- people: equal canonical names first, else a shared written form (name as written, `written`,
  canonical; honorifics, possessives, accents and case ignored). Canonical accuracy on matched:
  the gold canonical, or, when gold has none (a person the annotator could not identify), no
  canonical or the written name itself.
- statements: by quote as decisions; the speaker is right when it is one of the gold speaker's
  forms ("I" for the report's author). "speakers" counts a statement found with the right speaker.
Gold entries marked `optional` (a reading the annotator could not settle) count neither as missed
when absent nor as invented when found.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

GOLD_DIR = Path(__file__).resolve().parent / "record_gold"
QUOTE_MATCH = 0.5  # shared words ÷ the longer quote's words
HONORIFICS = frozenset(
    {
        "mp",
        "mep",
        "msp",
        "ms",
        "mrs",
        "mr",
        "miss",
        "dr",
        "sir",
        "dame",
        "lord",
        "baroness",
        "lady",
        "cllr",
        "councillor",
        "councillors",
        "obe",
        "mbe",
        "cbe",
        "kc",
        "qc",
        "rt",
        "hon",
        "the",
    }
)
_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------- normalizing


def fold(text: str) -> str:
    """Lower case, accents off, typographic quotes and dashes as ASCII, whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    return " ".join(text.lower().split())


def words(text: str | None) -> list[str]:
    return _WORD.findall(fold(text or ""))


def norm_name(name: str | None) -> str:
    """A person's name for comparison: no honorifics, possessive, punctuation, accents or case."""
    if not name:
        return ""
    text = fold(name).replace("-", " ")
    text = re.sub(r"'s\b|'$", "", text)
    return " ".join(w for w in _WORD.findall(text) if w not in HONORIFICS)


def similarity(a: str | None, b: str | None) -> float:
    """Shared distinct words ÷ the longer text's distinct words (0 when either is empty)."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / max(len(wa), len(wb))


def in_body(quote: str, body: str) -> bool:
    """Whether `quote` is a verbatim substring of `body`, whitespace runs aside."""
    return " ".join(quote.split()) in " ".join(body.split())


# ---------------------------------------------------------------- gold and input


SETS = ("real", "composed", "pages", "all")


def gold_set(gold: dict[str, Any]) -> str:
    """real (a real report), composed (written for the evaluation), pages (a synthetic page)."""
    if gold.get("composed"):
        return "composed"
    return "pages" if gold.get("synthetic") else "real"


def load_gold(directory: Path = GOLD_DIR) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))]


@dataclass(frozen=True)
class ReportInput:
    """What extract_record is given for one report (as a run would store it)."""

    title: str
    body_text: str
    published: date | None
    author: str | None
    file: Path | None = None  # the reference-web page, when there is one
    url: str | None = None
    post: dict[str, Any] | None = None  # the inspect JSON of the page


def _corpus() -> tuple[Path, dict[str, str]]:
    from necwatch.replay import bundled_corpus

    corpus = bundled_corpus()
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    return corpus, {e["url"]: e["file"] for e in manifest if e["status"] == 200}


def _published(value: str | None) -> date | None:
    if not value:
        return None
    return datetime.fromisoformat(value).date() if "T" in value else date.fromisoformat(value)


def report_input(gold: dict[str, Any]) -> ReportInput:
    """The page's extracted title, body and date (the code `necwatch inspect` runs), or the gold
    file's own `body` for a report that exists only as seed text."""
    if "body" in gold:
        return ReportInput(gold["title"], gold["body"], _published(gold.get("published")), gold.get("author"))
    from necwatch.inspection import inspect_target

    corpus, files = _corpus()
    url = gold["source"]["url"]
    path = corpus / files[url]
    result = inspect_target(path.read_bytes().decode("utf-8", errors="replace"), url)
    if result.error or not result.posts:
        raise SystemExit(f"{url}: inspect failed: {result.error}")
    post = result.posts[0]
    return ReportInput(
        post["title"] or "",
        post["body_text"] or "",
        _published(post["published_at"]),
        post["author"],
        file=path,
        url=url,
        post=post,
    )


def predict(inp: ReportInput, via: str = "code") -> dict[str, Any]:
    """The record as `inspect --json` gives it (`via="cli"`: the command itself, in a subprocess)."""
    if via == "cli":
        if inp.file is None:
            raise SystemExit("--via cli needs a reference-web page")
        out = subprocess.run(
            [sys.executable, "-m", "necwatch", "inspect", str(inp.file), "--url", inp.url or "", "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        posts = json.loads(out.stdout)["posts"] if out.stdout.strip() else []
        if not posts or "record" not in posts[0]:
            raise SystemExit(f"{inp.url}: `necwatch inspect --json` gives no record (exit {out.returncode})")
        return dict(posts[0]["record"])
    if inp.post is not None and "record" in inp.post:
        return dict(inp.post["record"])
    from necwatch.record import extract_record

    return extract_record(inp.title, inp.body_text, inp.published, author=inp.author).as_json()


# ---------------------------------------------------------------- matching


def match(
    golds: list[dict[str, Any]], preds: list[dict[str, Any]], score: Callable[[dict, dict], float]
) -> list[tuple[int, int]]:
    """One-to-one pairs (gold index, predicted index), greedy by descending score (> 0)."""
    scored = [
        (s, gi, pi) for gi, g in enumerate(golds) for pi, p in enumerate(preds) if (s := score(g, p)) > 0
    ]
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for _, gi, pi in scored:
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            pairs.append((gi, pi))
    return sorted(pairs)


def quote_score(gold: dict[str, Any], pred: dict[str, Any]) -> float:
    """How well a predicted element's quote matches a gold one (0: no match)."""
    best = max(similarity(q, pred.get("quote")) for q in [gold["quote"], *gold.get("also", ())])
    return best if best >= QUOTE_MATCH else 0.0


def decision_score(gold: dict[str, Any], pred: dict[str, Any]) -> float:
    s = quote_score(gold, pred)
    if not s:
        return 0.0
    return (
        s
        + 0.5 * similarity(gold.get("subject"), pred.get("subject"))
        + 0.1 * (gold["outcome"] == pred.get("outcome"))
    )


def person_forms(person: dict[str, Any]) -> set[str]:
    names = [person.get("name"), person.get("canonical"), *person.get("written", ())]
    return {n for n in map(norm_name, names) if n}


def person_score(gold: dict[str, Any], pred: dict[str, Any]) -> float:
    gc, pc = norm_name(gold.get("canonical")), norm_name(pred.get("canonical"))
    if gc and pc and gc == pc:
        return 2.0
    return 1.0 if person_forms(gold) & person_forms(pred) else 0.0


def canonical_right(gold: dict[str, Any], pred: dict[str, Any]) -> bool:
    """The name a reader is shown is the person's: the predicted canonical name, or for a person
    left unresolved the name as written, equals the gold canonical ("Patrick Vernon OBE" unresolved
    is right, "Harriet" or "Humza Yusaf" unresolved is not). When gold has no canonical (the
    annotator could not identify the person), no canonical or a written form is right: no guess."""
    gc, pc = norm_name(gold.get("canonical")), norm_name(pred.get("canonical"))
    if gc:
        return gc == (pc or norm_name(pred.get("name")))
    return not pc or pc in person_forms(gold)


def speaker_forms(name: str | None, gold: dict[str, Any]) -> set[str]:
    """Every form naming the gold speaker `name` in this report ("I" for the author)."""
    key = norm_name(name)
    forms = {key}
    for person in gold["people"]:
        if key in person_forms(person):
            forms |= person_forms(person)
    if name and norm_name(gold.get("author")) in forms:
        forms.add("i")
    forms.discard("")
    return forms


def same_person(pred_name: str | None, gold_name: str | None, gold: dict[str, Any]) -> bool:
    return bool(pred_name and gold_name and norm_name(pred_name) in speaker_forms(gold_name, gold))


# ---------------------------------------------------------------- scoring


@dataclass
class Tally:
    """Counts for one field over all reports: true/false positives, false negatives, or right/total."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    right: int = 0
    total: int = 0

    def prf(self) -> dict[str, float | int | None]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f = 2 * p * r / (p + r) if p is not None and r is not None and p + r else (0.0 if p or r else None)
        if self.tp + self.fp + self.fn == 0:
            f = None
        return {"precision": _r(p), "recall": _r(r), "f1": _r(f), "tp": self.tp, "fp": self.fp, "fn": self.fn}

    def accuracy(self) -> dict[str, float | int | None]:
        return {
            "accuracy": _r(self.right / self.total if self.total else None),
            "right": self.right,
            "n": self.total,
        }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


@dataclass
class Scores:
    reports: int = 0
    decisions: Tally = field(default_factory=Tally)
    outcome: Tally = field(default_factory=Tally)
    manner: Tally = field(default_factory=Tally)
    counts: Tally = field(default_factory=Tally)
    counts_stated: int = 0
    counts_exact: int = 0
    counts_wrong: int = 0
    counts_missed: int = 0
    counts_invented: int = 0
    movers: Tally = field(default_factory=Tally)
    people: Tally = field(default_factory=Tally)
    canonical: Tally = field(default_factory=Tally)
    meeting_date: Tally = field(default_factory=Tally)
    meeting_kind: Tally = field(default_factory=Tally)
    statements: Tally = field(default_factory=Tally)
    speakers: Tally = field(default_factory=Tally)
    speaker_sets: Tally = field(default_factory=Tally)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self, misses: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reports": self.reports,
            "decisions": self.decisions.prf(),
            "outcome": self.outcome.accuracy(),
            "manner": self.manner.accuracy(),
            "vote_counts": {
                **self.counts.prf(),
                "stated": self.counts_stated,
                "exact": self.counts_exact,
                "wrong": self.counts_wrong,
                "missed": self.counts_missed,
                "invented": self.counts_invented,
            },
            "mover_seconder": self.movers.prf(),
            "people": self.people.prf(),
            "canonical": self.canonical.accuracy(),
            "meeting_date": self.meeting_date.accuracy(),
            "meeting_kind": self.meeting_kind.accuracy(),
            "statements": self.statements.prf(),
            "statement_speakers": self.speakers.prf(),
            "distinct_speakers": self.speaker_sets.prf(),
        }
        if misses:
            out["misses"] = self.misses
        return out


COUNT_FIELDS = ("votes_for", "votes_against", "abstentions")


def score_report(gold: dict[str, Any], record: dict[str, Any], s: Scores) -> None:
    """Adds one report's comparison to `s` (and its misses under the report's id)."""
    miss = s.misses.setdefault(gold["id"], [])
    s.reports += 1
    _meeting(gold, record, s, miss)
    _decisions(gold, list(record.get("decisions") or ()), s, miss)
    _people(gold, list(record.get("people") or ()), s, miss)
    _statements(gold, list(record.get("statements") or ()), s, miss)
    if not miss:
        del s.misses[gold["id"]]


def _meeting(gold: dict[str, Any], record: dict[str, Any], s: Scores, miss: list[str]) -> None:
    got = record.get("meeting") or {}
    for key, tally in (("date", s.meeting_date), ("kind", s.meeting_kind)):
        want = gold["meeting"].get(key)
        tally.total += 1
        if got.get(key) == want:
            tally.right += 1
        else:
            miss.append(f"meeting {key}: {got.get(key)!r}, gold {want!r}")


def _short(text: str | None, n: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _decisions(gold: dict[str, Any], preds: list[dict[str, Any]], s: Scores, miss: list[str]) -> None:
    golds = gold["decisions"]
    pairs = match(golds, preds, decision_score)
    matched_g = {g for g, _ in pairs}
    matched_p = {p for _, p in pairs}
    for gi, g in enumerate(golds):
        if gi in matched_g or g.get("optional"):
            continue
        s.decisions.fn += 1
        miss.append(f"decision missed ({g['outcome']}): {_short(g['subject'] or g['quote'])}")
        for f in COUNT_FIELDS:
            if g.get(f) is not None:
                s.counts_stated += 1
                s.counts_missed += 1
                s.counts.fn += 1
        for f in ("mover", "seconder"):
            s.movers.fn += g.get(f) is not None
    for pi, p in enumerate(preds):
        if pi in matched_p:
            continue
        s.decisions.fp += 1
        miss.append(f"decision invented ({p.get('outcome')}): {_short(p.get('subject') or p.get('quote'))}")
        for f in COUNT_FIELDS:
            if p.get(f) is not None:
                s.counts_invented += 1
                s.counts.fp += 1
                miss.append(f"  count invented: {f}={p[f]}")
        for f in ("mover", "seconder"):
            s.movers.fp += p.get(f) is not None
    for gi, pi in pairs:
        g, p = golds[gi], preds[pi]
        if g.get("optional"):
            continue
        s.decisions.tp += 1
        label = _short(g["subject"] or g["quote"], 60)
        s.outcome.total += 1
        if p.get("outcome") == g["outcome"]:
            s.outcome.right += 1
        else:
            miss.append(f"outcome {p.get('outcome')!r}, gold {g['outcome']!r}: {label}")
        s.manner.total += 1
        if p.get("manner") == g.get("manner"):
            s.manner.right += 1
        else:
            miss.append(f"manner {p.get('manner')!r}, gold {g.get('manner')!r}: {label}")
        for f in COUNT_FIELDS:
            want, got = g.get(f), p.get(f)
            if want is None and got is None:
                continue
            if want is None:
                s.counts_invented += 1
                s.counts.fp += 1
                miss.append(f"count invented: {f}={got}: {label}")
                continue
            s.counts_stated += 1
            if got == want:
                s.counts_exact += 1
                s.counts.tp += 1
            elif got is None:
                s.counts_missed += 1
                s.counts.fn += 1
                miss.append(f"count missed: {f}={want}: {label}")
            else:
                s.counts_wrong += 1
                s.counts.fp += 1
                s.counts.fn += 1
                miss.append(f"count wrong: {f}={got}, gold {want}: {label}")
        for f in ("mover", "seconder"):
            want, got = g.get(f), p.get(f)
            if want is None and got is None:
                continue
            if want is not None and same_person(got, want, gold):
                s.movers.tp += 1
                continue
            s.movers.fn += want is not None
            s.movers.fp += got is not None
            miss.append(f"{f} {got!r}, gold {want!r}: {label}")


def _people(gold: dict[str, Any], preds: list[dict[str, Any]], s: Scores, miss: list[str]) -> None:
    golds = gold["people"]
    pairs = match(golds, preds, person_score)
    matched_g = {g for g, _ in pairs}
    matched_p = {p for _, p in pairs}
    for gi, g in enumerate(golds):
        if gi not in matched_g and not g.get("optional"):
            s.people.fn += 1
            miss.append(f"person missed: {g['name']}")
    for pi, p in enumerate(preds):
        if pi not in matched_p:
            s.people.fp += 1
            miss.append(f"person invented: {p.get('name')} ({p.get('canonical')})")
    for gi, pi in pairs:
        g, p = golds[gi], preds[pi]
        if g.get("optional"):
            continue
        s.people.tp += 1
        s.canonical.total += 1
        if canonical_right(g, p):
            s.canonical.right += 1
        else:
            miss.append(f"canonical {p.get('canonical')!r}, gold {g.get('canonical')!r}: {g['name']}")


def _statements(gold: dict[str, Any], preds: list[dict[str, Any]], s: Scores, miss: list[str]) -> None:
    golds = gold["statements"]

    def score(g: dict[str, Any], p: dict[str, Any]) -> float:
        q = quote_score(g, p)
        return q + 0.5 * same_person(p.get("speaker"), g["speaker"], gold) if q else 0.0

    pairs = match(golds, preds, score)
    matched_g = {g for g, _ in pairs}
    matched_p = {p for _, p in pairs}
    for gi, g in enumerate(golds):
        if gi not in matched_g and not g.get("optional"):
            s.statements.fn += 1
            s.speakers.fn += 1
            miss.append(f"statement missed ({g['speaker']}): {_short(g['quote'])}")
    for pi, p in enumerate(preds):
        if pi not in matched_p:
            s.statements.fp += 1
            s.speakers.fp += 1
            miss.append(f"statement invented ({p.get('speaker')}): {_short(p.get('quote'))}")
    for gi, pi in pairs:
        g, p = golds[gi], preds[pi]
        if g.get("optional"):
            continue
        s.statements.tp += 1
        if same_person(p.get("speaker"), g["speaker"], gold):
            s.speakers.tp += 1
        else:
            s.speakers.fp += 1
            s.speakers.fn += 1
            miss.append(f"speaker {p.get('speaker')!r}, gold {g['speaker']!r}: {_short(g['quote'], 60)}")
    # distinct speakers: each gold speaker found by some predicted statement's speaker, and back
    want = [g["speaker"] for g in golds if not g.get("optional")]
    want_forms = [speaker_forms(w, gold) for w in dict.fromkeys(want)]
    got = list(dict.fromkeys(norm_name(p.get("speaker")) for p in preds if p.get("speaker")))
    found = sum(1 for forms in want_forms if any(g in forms for g in got))
    extra = sum(1 for g in got if not any(g in forms for forms in want_forms))
    s.speaker_sets.tp += found
    s.speaker_sets.fn += len(want_forms) - found
    s.speaker_sets.fp += extra


# ---------------------------------------------------------------- running


def evaluate(golds: Iterable[dict[str, Any]], records: Callable[[dict[str, Any]], dict[str, Any]]) -> Scores:
    scores = Scores()
    for gold in golds:
        score_report(gold, records(gold), scores)
    return scores


def render(out: dict[str, Any]) -> str:
    lines = [f"reports: {out['reports']}"]
    for name in (
        "decisions",
        "mover_seconder",
        "people",
        "statements",
        "statement_speakers",
        "distinct_speakers",
    ):
        v = out[name]
        lines.append(
            f"{name:20} P {_f(v['precision'])}  R {_f(v['recall'])}  F1 {_f(v['f1'])}"
            f"   (tp {v['tp']}, fp {v['fp']}, fn {v['fn']})"
        )
    v = out["vote_counts"]
    lines.append(
        f"{'vote_counts':20} P {_f(v['precision'])}  R {_f(v['recall'])}  F1 {_f(v['f1'])}"
        f"   (stated {v['stated']}: exact {v['exact']}, wrong {v['wrong']}, missed {v['missed']};"
        f" invented {v['invented']})"
    )
    for name in ("outcome", "manner", "canonical", "meeting_date", "meeting_kind"):
        v = out[name]
        lines.append(f"{name:20} accuracy {_f(v['accuracy'])}   ({v['right']} of {v['n']})")
    for report, items in (out.get("misses") or {}).items():
        lines.append(f"\n{report}")
        lines.extend(f"  {m}" for m in items)
    return "\n".join(lines)


def _f(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--gold", type=Path, default=GOLD_DIR, help="the gold set's folder")
    parser.add_argument("--misses", action="store_true", help="list every miss, report by report")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--via", choices=("code", "cli"), default="code", help="in-process or `necwatch inspect`"
    )
    parser.add_argument(
        "--set",
        choices=SETS,
        default="real",
        help="real: the 13 real reports (default); composed: the composed reports; pages: the synthetic "
        "reference-web pages; all",
    )
    args = parser.parse_args(argv)
    golds = [g for g in load_gold(args.gold) if args.set in ("all", gold_set(g))]
    scores = evaluate(golds, lambda g: predict(report_input(g), args.via))
    out = scores.as_json(misses=args.misses)
    print(json.dumps(out, ensure_ascii=False, indent=2) if args.json else render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
