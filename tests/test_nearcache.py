"""nearcache and packed shingles: the near-duplicate verdicts stay those of plain shingle sets, and
what the caches keep is bounded by their budgets, not by the archive."""

from __future__ import annotations

import json
from pathlib import Path

from necwatch import dedupe
from necwatch.nearcache import BandKeyCache, PackedShingleCache, _bytes
from necwatch.normalize import content_hash

FIXTURES = Path(__file__).parent / "fixtures" / "normalize"
INDEX = json.loads((FIXTURES / "reports.json").read_text(encoding="utf-8"))
TEXTS = [(FIXTURES / "reports" / r["file"]).read_text(encoding="utf-8") for r in INDEX]


def test_packed_shingles_score_as_shingle_sets_do() -> None:
    copy = "Republished for the archive.\n\n" + TEXTS[0]
    for other in [*TEXTS, copy, "", "NEC report"]:
        for text in (TEXTS[0], copy, ""):
            a, b = dedupe.shingles(text), dedupe.shingles(other)
            assert dedupe.PackedShingles.of(b).jaccard(a) == a.jaccard(b)


def test_find_near_duplicate_gives_the_same_verdict_with_packed_candidates() -> None:
    copy = "Republished for the archive.\n\n" + TEXTS[3]
    plain = [(i, dedupe.shingles(t)) for i, t in enumerate(TEXTS)]
    packed = [(i, dedupe.PackedShingles.of(s)) for i, s in plain]
    found = dedupe.find_near_duplicate(copy, plain)
    assert found is not None and found[0] == 3
    assert dedupe.find_near_duplicate(copy, packed) == found
    short = " ".join(TEXTS[3].split()[:60])  # a fifth of the size at most: bounded below 0.3, skipped
    assert dedupe.find_near_duplicate(short, packed) == dedupe.find_near_duplicate(short, plain) is None


PARAGRAPHS = [p for text in TEXTS for p in text.split("\n\n") if len(p.split()) >= 20]


def _pairs() -> list[tuple[str, str]]:
    """Pairs of texts made of real report paragraphs sharing 0 to 20 of their 20 paragraphs:
    scores from unrelated reports sharing a paragraph (the emulated archive's case) to copies."""
    pairs = []
    for shared in range(21):
        for start in range(0, 60, 20):
            a = PARAGRAPHS[start : start + 20]
            b = a[:shared] + PARAGRAPHS[start + 60 : start + 80 - shared]
            pairs.append(("\n\n".join(a), "\n\n".join(b)))
    return pairs


def test_a_sample_rules_out_unrelated_candidates_and_never_a_near_copy() -> None:
    """`unlikely` (the one-in-eight sample) never rules out a pair at or above the threshold, rules
    out report-sized pairs sharing a paragraph or two, and leaves short texts (a sampled union under
    SAMPLE_MIN) to the exact comparison; find_near_duplicate's verdicts are plain shingle sets'."""
    assert len(PARAGRAPHS) >= 80
    unrelated = 0
    for a, b in _pairs():
        probe, other = dedupe.shingles(a), dedupe.shingles(b)
        packed = dedupe.PackedShingles.of(other)
        score = probe.jaccard(other)
        union = len(probe.sample | other.sample)
        if score >= dedupe.THRESHOLD or union < dedupe.SAMPLE_MIN:
            assert not packed.unlikely(probe, dedupe.THRESHOLD), (score, union)
        elif score < 0.1 and min(len(probe), len(other)) >= 1000:  # report-sized, a paragraph shared
            unrelated += 1
            assert packed.unlikely(probe, dedupe.THRESHOLD), score
        assert dedupe.find_near_duplicate(probe, [(0, packed)]) == dedupe.find_near_duplicate(
            probe, [(0, other)]
        )
    assert unrelated >= 9


def _not_read() -> str:
    raise AssertionError("a cached report's text is not read")


def test_packed_cache_keeps_within_its_budget_and_evicts_the_least_recent() -> None:
    one = dedupe.PackedShingles.of(dedupe.shingles(TEXTS[0]))
    budget = 3 * _bytes(one) + 100  # three reports of this size
    cache = PackedShingleCache(budget)
    for text in TEXTS[:3]:
        cache.get(content_hash(text), lambda t=text: t)
    cache.get(content_hash(TEXTS[0]), _not_read)  # the first is now the most recent
    for text in TEXTS[3:]:
        cache.get(content_hash(text), lambda t=text: t)
        assert cache.size <= budget
    assert 1 <= len(cache) < len(TEXTS)
    hit = cache.get(content_hash(TEXTS[-1]), _not_read)
    assert hit.jaccard(dedupe.shingles(TEXTS[-1])) == 1.0


def test_band_key_cache_returns_the_band_keys_and_stays_bounded() -> None:
    cache = BandKeyCache(keep=2)
    for text in TEXTS[:4]:
        assert cache.get(text, dedupe.shingles) == dedupe.band_keys(text)
    assert len(cache._items) == 2
    assert cache.get(TEXTS[3], lambda _: dedupe.Shingles(frozenset())) == dedupe.band_keys(TEXTS[3])


def test_the_full_bitmaps_prove_a_pair_below_the_threshold_and_never_one_above() -> None:
    """`below` is exact: its bound (common bits of the full bitmaps plus the fewer hashes either
    text lost to collisions) is never under the texts' common shingles, so no pair at or above the
    threshold is ever ruled out; pairs sharing up to a quarter of their paragraphs, which the samples
    leave to a full intersection, are settled by it."""
    settled = 0
    for a, b in _pairs():
        probe, other = dedupe.shingles(a), dedupe.shingles(b)
        packed = dedupe.PackedShingles.of(other)
        bound = (packed.bits & probe.bits).bit_count() + min(packed.lost, probe.lost)
        assert bound >= len(probe.hashes & other.hashes)
        score = probe.jaccard(other)
        if score >= dedupe.THRESHOLD:
            assert not packed.below(probe, dedupe.THRESHOLD), score
        elif score < 0.25 and min(len(probe), len(other)) >= 1000:
            assert packed.below(probe, dedupe.THRESHOLD), score
            settled += not packed.unlikely(probe, dedupe.THRESHOLD)
    assert settled >= 1  # pairs the samples could not rule out
    no_bitmap = dedupe.PackedShingles(packed.hashes, packed.sample)
    assert not no_bitmap.below(probe, 0.0001)  # packed without its bitmap: it decides nothing


def test_a_stored_report_put_in_the_cache_is_never_read_again() -> None:
    """The report a poll just stored keeps the shingles its own lookup made: a later lookup that
    meets it as a candidate does not read and shingle its text again."""
    cache = PackedShingleCache()
    put = cache.put(content_hash(TEXTS[1]), dedupe.shingles(TEXTS[1]))
    assert cache.get(content_hash(TEXTS[1]), _not_read) is put
    assert cache.size == _bytes(put)
