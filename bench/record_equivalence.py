"""Does `extract_record` still give the same records? A byte-for-byte equivalence harness for speed work.

    python bench/record_equivalence.py --save /tmp/speed_baseline.json    # before a change
    python bench/record_equivalence.py --check /tmp/speed_baseline.json   # after each change
    python bench/record_equivalence.py --check BASE --inputs CAPTURED.json  # and texts captured elsewhere

The corpus (~400 reports): the gold set's reports (bench/record_gold, read as eval_record reads
them), every composed report in tests/record (*.txt), the seeds (bench/seeds, the five documents
the project was created from, whole files as bodies), every post of the reference web's pages
(`inspect_target` on each stored page), 15 kB bodies assembled from the emulator's real paragraphs
(bench/platformweb.py, fixed seeds), and the bad-input cases of tests/record/test_bounds.py (the
5 MB report cut to 300 kB).
`--inputs` adds a JSON list of {title, body, published, author} (for instance every text the
tests of tests/record split into paragraphs, captured by a pytest plugin). Each report's
`Record.as_json()` is serialized with sorted keys; `--check` names every report whose record
differs, with the first differing field.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from necwatch.record import extract_record  # noqa: E402

SEEDS = HERE / "seeds"
PUBLISHED = date(2024, 1, 24)
Case = dict[str, Any]


def _case(name: str, title: str, body: str, published: date | None, author: str | None) -> Case:
    return {
        "name": name,
        "title": title,
        "body": body,
        "published": published.isoformat() if published else None,
        "author": author,
    }


def gold_cases() -> list[Case]:
    from eval_record import load_gold, report_input

    out = []
    for g in load_gold():
        inp = report_input(g)
        out.append(_case(f"gold/{g['id']}", inp.title, inp.body_text, inp.published, inp.author))
    return out


def composed_cases() -> list[Case]:
    out = []
    for path in sorted((ROOT / "tests" / "record").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        title = text.split("\n", 1)[0]
        out.append(_case(f"tests/{path.name}", title, text, PUBLISHED, "Alex Reporter"))
        out.append(_case(f"tests/{path.name}#undated", "", text, None, None))
    return out


def seed_cases(seeds: Path = SEEDS) -> list[Case]:
    out = []
    for path in sorted(seeds.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out.append(_case(f"seeds/{path.name}", "", text, PUBLISHED, None))
        # each report of a seed on its own: a blog page holds several, split at their titles
        blocks = [b for b in text.split("\nNEC Report") if len(b) > 500]
        for k, b in enumerate(blocks[1:], 1):
            out.append(_case(f"seeds/{path.name}#{k}", "NEC Report" + b.split("\n", 1)[0], b, None, None))
    return out


def reference_web_cases() -> list[Case]:
    from necwatch.inspection import inspect_target
    from necwatch.replay import bundled_corpus

    corpus = bundled_corpus()
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    out = []
    for e in manifest:
        if e["status"] != 200 or not e["file"].endswith((".html", ".htm", ".xml", ".json")):
            continue
        result = inspect_target((corpus / e["file"]).read_bytes().decode("utf-8", errors="replace"), e["url"])
        if result.error:
            continue
        for k, post in enumerate(result.posts):
            if not post.get("body_text"):
                continue
            pub = post.get("published_at")
            out.append(
                _case(
                    f"web/{e['file']}#{k}",
                    post.get("title") or "",
                    post["body_text"],
                    date.fromisoformat(pub[:10]) if pub else None,
                    post.get("author"),
                )
            )
    return out


def emulated_cases(n: int = 60, size: int = 15_000) -> list[Case]:
    """15 kB bodies of the emulator's real paragraphs (the bench database's reports), shuffled."""
    from platformweb import real_paragraphs

    paras = list(real_paragraphs())
    rng = random.Random(19)
    out = []
    for k in range(n):
        rng.shuffle(paras)
        body, total = [], 0
        for p in paras:
            body.append(p)
            total += len(p)
            if total > size:
                break
        title = f"NEC Report – {1 + k % 28} {('January', 'March', 'July', 'November')[k % 4]} {2012 + k % 13}"
        out.append(_case(f"emulated/{k}", title, "\n\n".join(body), date(2012 + k % 13, 12, 1), "Emu"))
    return out


def bounds_cases() -> list[Case]:
    spec = importlib.util.spec_from_file_location("_bounds", ROOT / "tests" / "record" / "test_bounds.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    title = "NEC Report – 23 January 2024"
    out = [
        _case(f"bounds/empty{k}", "NEC Report", b, PUBLISHED, "Alex Reporter")
        for k, b in enumerate(["", " ", "\n\n\n", "\u00a0\n\u200b"])
    ]
    genre = "\n\n".join(mod.GENRE)
    out.append(_case("bounds/genre-undated", "", genre, None, None))
    out.append(_case("bounds/genre", title, genre, PUBLISHED, "Alex Reporter"))
    sentences = " ".join(p for p in mod.GENRE if len(p) > 40)
    long = ((sentences + " ") * (100_000 // len(sentences) + 1))[:100_000].rsplit(" ", 1)[0]
    out.append(_case("bounds/100kB-paragraph", title, long, PUBLISHED, "Alex Reporter"))
    paragraphs: list[str] = []
    size = i = 0
    while size < 300_000:
        p = mod.GENRE[i % len(mod.GENRE)]
        paragraphs.append(p if i % 3 else f"{p} (item {i})")
        size += len(paragraphs[-1].encode()) + 2
        i += 1
    out.append(_case("bounds/300kB-report", title, "\n\n".join(paragraphs), PUBLISHED, "Alex Reporter"))
    for lang, (ltitle, *rest) in sorted(mod.LANGUAGES.items()):
        out.append(_case(f"bounds/{lang}", ltitle, "\n\n".join(rest), PUBLISHED, "Alex Reporter"))
    names = mod.NAMES
    body = "\n\n".join(
        [
            "The meeting opened with tributes to " + ", ".join(names[:-1]) + " and " + names[-1] + ".",
            *(f"{name} said that the party must win the next election." for name in names),
            "We thanked " + ", ".join(f"Cllr {n}" for n in names[::7]) + " for their service.",
        ]
    )
    out.append(_case("bounds/500-people", title, body, PUBLISHED, "Alex Reporter"))
    for name, text in sorted(mod.PATHOLOGICAL.items()):
        out.append(_case(f"bounds/{name}", title, text, PUBLISHED, "Alex Reporter"))
    return out


def input_cases(path: Path) -> list[Case]:
    out = []
    for k, e in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        pub = date.fromisoformat(e["published"]) if e.get("published") else None
        digest = hashlib.blake2b(e["body"].encode(), digest_size=5).hexdigest()
        out.append(_case(f"inputs/{k}-{digest}", e.get("title") or "", e["body"], pub, e.get("author")))
    return out


def corpus(inputs: Path | None = None) -> list[Case]:
    cases = gold_cases() + composed_cases() + seed_cases() + reference_web_cases()
    cases += emulated_cases() + bounds_cases()
    if inputs:
        cases += input_cases(inputs)
    return cases


def record_json(case: Case) -> str:
    pub = date.fromisoformat(case["published"]) if case["published"] else None
    record = extract_record(case["title"], case["body"], pub, author=case["author"])
    return json.dumps(record.as_json(), sort_keys=True, ensure_ascii=False)


def first_difference(a: Any, b: Any, path: str = "") -> str:
    if type(a) is not type(b):
        return f"{path}: {str(a)[:120]!r} → {str(b)[:120]!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return first_difference(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list):
        for k, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return first_difference(x, y, f"{path}[{k}]")
        if len(a) != len(b):
            return f"{path}: {len(a)} entries → {len(b)}"
    return f"{path}: {str(a)[:160]!r} → {str(b)[:160]!r}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="write every record here (the baseline)")
    group.add_argument("--check", type=Path, help="compare every record with this baseline")
    parser.add_argument("--inputs", type=Path, help="a JSON list of extra {title, body, published, author}")
    parser.add_argument("--only", help="only the cases whose name contains this")
    args = parser.parse_args(argv)
    cases = corpus(args.inputs)
    if args.only:
        cases = [c for c in cases if args.only in c["name"]]
    started = time.process_time()
    records = {}
    for c in cases:
        key = c["name"]
        while key in records:
            key += "+"
        records[key] = record_json(c)
    cpu = time.process_time() - started
    if args.save:
        args.save.write_text(json.dumps(records, ensure_ascii=False, indent=0), encoding="utf-8")
        print(f"saved {len(records)} records to {args.save} ({cpu:.1f} s CPU)")
        return 0
    base = json.loads(args.check.read_text(encoding="utf-8"))
    differ = [k for k in records if k in base and base[k] != records[k]]
    missing = [k for k in base if k not in records]
    for k in differ:
        print(f"DIFFERS {k}: {first_difference(json.loads(base[k]), json.loads(records[k]))}")
    if missing and not args.only:
        print(f"{len(missing)} baseline cases not in this corpus: {missing[:5]}")
    same = len(records) - len(differ) - sum(k not in base for k in records)
    print(f"{same} of {len(records)} records identical, {len(differ)} differ ({cpu:.1f} s CPU)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
