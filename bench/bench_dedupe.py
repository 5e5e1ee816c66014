"""Measure near-duplicate scores on real NEC report texts, to choose dedupe.THRESHOLD.

Same-report pairs: each real report against variants a republisher or the author makes (changed
chrome, a standfirst, a byline, a typo fix, a paragraph added or removed). Different-report pairs:
every pair of distinct real reports (same author, same month, or neither). Prints Markdown tables
(pasted into docs/normalization.md) and a timing line.

    /tmp/venv/bin/python bench/bench_dedupe.py
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from necwatch.dedupe import THRESHOLD, ShingleIndex, find_near_duplicate, shingles, similarity

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "normalize"

STANDFIRST = (
    "{author} reports back from the latest meeting of Labour's national executive committee, "
    "covering the leader's report, the general secretary's report, the party's finances and "
    "preparations for the coming elections. This report first appeared on {author}'s own blog."
)
BYLINE = "By {author}\n\n{author} is a member of Labour's National Executive Committee."
CHROME = (
    "Share this:\nTwitter\nFacebook\nEmail\nPrint\n\nLike this:\nLike Loading...\n\nRelated\n\n"
    "Print Friendly, PDF & Email"
)
ADDED_PARAGRAPH = (
    "Update: since this report was first published the General Secretary has written to all "
    "constituency parties confirming the timetable agreed at the meeting, and the procedures "
    "committee will publish the detailed guidance for members and candidates before the end of the "
    "month. I will post a further update here when the guidance is available."
)


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def chrome(text: str, author: str) -> str:
    """A republished copy: straight quotes, NBSPs, single-newline paragraphs, share/related chrome."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace(" the ", " the\u00a0").replace("\n\n", "\n")
    return f"{text}\n\n{CHROME}"


def standfirst(text: str, author: str) -> str:
    return STANDFIRST.format(author=author) + "\n\n" + text


def byline(text: str, author: str) -> str:
    return BYLINE.format(author=author) + "\n\n" + text


def typo_fix(text: str, author: str) -> str:
    """One word in the middle changed (a typo made or fixed: the same distance)."""
    words = text.split(" ")
    mid = len(words) // 2
    i = next(j for j in range(mid, len(words)) if len(words[j]) >= 5 and words[j].isalpha())
    w = words[i]
    words[i] = w[0] + w[2] + w[1] + w[3:]
    return " ".join(words)


def paragraph_added(text: str, author: str) -> str:
    paras = _paragraphs(text)
    at = max(1, len(paras) // 3)
    return "\n\n".join([*paras[:at], ADDED_PARAGRAPH, *paras[at:]])


def paragraph_removed(text: str, author: str) -> str:
    """The author deletes the longest middle paragraph (not the first or last)."""
    paras = _paragraphs(text)
    if len(paras) < 3:
        return text
    i = max(range(1, len(paras) - 1), key=lambda j: len(paras[j]))
    return "\n\n".join(paras[:i] + paras[i + 1 :])


def republished(text: str, author: str) -> str:
    """Chrome + standfirst + byline together: a LabourList copy of a blog report."""
    return chrome(byline(standfirst(text, author), author), author)


def excerpt(text: str, author: str) -> str:
    """A listing excerpt cut at 40% ("Continue reading"): informational, not a dedupe target."""
    words = text.split(" ")
    return " ".join(words[: int(len(words) * 0.4)]) + " Continue reading"


VARIANTS: dict[str, Callable[[str, str], str]] = {
    "changed chrome (quotes, NBSP, share/related)": chrome,
    "byline line added": byline,
    "standfirst paragraph added": standfirst,
    "typo fix (one word)": typo_fix,
    "paragraph added (edit)": paragraph_added,
    "paragraph removed (edit)": paragraph_removed,
    "republished: byline + standfirst + chrome": republished,
}
INFORMATIONAL = {"listing excerpt (first 40%)": excerpt}


def load() -> list[dict]:
    index = json.loads((FIXTURES / "reports.json").read_text(encoding="utf-8"))
    for item in index:
        item["text"] = (FIXTURES / "reports" / item["file"]).read_text(encoding="utf-8")
    return index


def _row(name: str, scores: list[float]) -> str:
    cells = [name, str(len(scores)), *(f"{f(scores):.3f}" for f in (min, statistics.median, max))]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    reports = load()
    print(f"{len(reports)} real texts, shingle size 5, THRESHOLD = {THRESHOLD}\n")
    print("| pair | n | min | median | max |\n|---|---|---|---|---|")
    same_all: list[float] = []
    for name, make in {**VARIANTS, **INFORMATIONAL}.items():
        scores = [similarity(r["text"], make(r["text"], r["author"])) for r in reports]
        if name in VARIANTS:
            same_all += scores
        print(_row(f"same: {name}", scores))

    groups: dict[str, list[tuple[float, str, str]]] = {"same author": [], "same month": [], "other": []}
    for a, b in itertools.combinations(reports, 2):
        score = similarity(a["text"], b["text"])
        key = (
            "same month"
            if a["published"][:7] == b["published"][:7]
            else "same author"
            if a["author"] == b["author"]
            else "other"
        )
        groups[key].append((score, a["file"], b["file"]))
    diff_all = [s for g in groups.values() for s, _, _ in g]
    for key, rows in groups.items():
        print(_row(f"different: {key}", [s for s, _, _ in rows]))
    print(_row("**same report, all edits**", same_all))
    print(_row("**different reports, all**", diff_all))
    top = sorted((x for g in groups.values() for x in g), reverse=True)[:3]
    print("\nmost similar different reports:")
    for score, fa, fb in top:
        print(f"  {score:.3f}  {fa}  ~  {fb}")
    lo, hi = min(same_all), max(diff_all)
    print(f"\ngap: different ≤ {hi:.3f} < threshold {THRESHOLD} ≤ same ≥ {lo:.3f}")
    print(
        f"margins: lowest same-report score is {lo - THRESHOLD:+.3f} above the threshold, "
        f"highest different-report score {THRESHOLD - hi:.3f} below it"
    )

    print("\nshingle size sensitivity (min same / max different):")
    for k in (3, 5, 7):
        sh = {r["file"]: shingles(r["text"], k) for r in reports}
        same_k = [
            sh[r["file"]].jaccard(shingles(make(r["text"], r["author"]), k))
            for r in reports
            for make in VARIANTS.values()
        ]
        diff_k = [sh[a["file"]].jaccard(sh[b["file"]]) for a, b in itertools.combinations(reports, 2)]
        print(f"  k={k}: {min(same_k):.3f} / {max(diff_k):.3f}")

    # cost: one new report against N stored (the real texts repeated 215 times, each copy distinct)
    stored = [(i, shingles(r["text"] + f" copy {i}")) for i, r in enumerate(reports * 215)]
    probe = shingles(paragraph_added(reports[0]["text"], reports[0]["author"]))
    t0 = time.perf_counter()
    find_near_duplicate(probe, stored)
    t_linear = time.perf_counter() - t0
    index: ShingleIndex[int] = ShingleIndex()
    for n, stored_sh in stored:
        index.add(n, stored_sh)
    t0 = time.perf_counter()
    index.query(probe)
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    for r in reports:
        shingles(r["text"])
    t_build = (time.perf_counter() - t0) / len(reports)
    print(
        f"\ncost: shingling one report {t_build * 1000:.2f} ms; one query against {len(stored)} stored: "
        f"linear {t_linear * 1000:.1f} ms, ShingleIndex {t_index * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
