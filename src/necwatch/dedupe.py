"""Pure duplicate detection: exact (same content hash) and near (word-shingle Jaccard).

The same report is often published twice (a blog and LabourList, a republished copy with a
standfirst or a byline line added). Exact duplicates share `normalize.content_hash`; near
duplicates are found by comparing sets of hashed word 5-shingles. THRESHOLD was chosen from
measurements on real report texts (bench/bench_dedupe.py, table in docs/normalization.md).

Cost: build `Shingles` once per stored report (≈ one set of ints per report) and keep them; a new
report is then compared by set intersection. `ShingleIndex` avoids even that for unrelated
reports by looking candidates up through shared shingles. Narrowing candidates by date or source
is the caller's job.
"""

from __future__ import annotations

import hashlib
import math
import re
from array import array
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

from necwatch.normalize import content_hash, normalized_text

K = TypeVar("K", bound=Hashable)

__all__ = [
    "BANDS",
    "BAND_ROWS",
    "SHINGLE_SIZE",
    "THRESHOLD",
    "PackedShingles",
    "ShingleIndex",
    "Shingles",
    "band_keys",
    "exact_key",
    "find_near_duplicate",
    "shingles",
    "similarity",
]

SHINGLE_SIZE = 5
"""Words per shingle: long enough that shared boilerplate phrases do not make reports look alike."""

THRESHOLD = 0.3
"""Jaccard at or above which two texts are one report. Measured on 14 real texts
(docs/normalization.md): copies and edits of one report scored 0.411-1.000, different reports
(same author included) 0.000-0.013; 0.3 leaves 0.11 below the lowest same-report score and 0.29
above the highest different-report score."""

_WORD = re.compile(r"\w+(?:'\w+)*")

SAMPLE_SHIFT = 61
"""A text's sample: its shingle hashes below 2^61, one in eight (the hashes are uniform). Two
samples' Jaccard estimates the texts' (Broder's mod-m sketch): over a sampled union of n shingles
its standard deviation is at most sqrt(J(1 - J) / n)."""

SAMPLE_MIN = 200
"""Sampled union size from which a sample may rule a candidate out. Shorter texts are always
compared exactly."""

SAMPLE_Z = 4.5
"""Standard deviations below the threshold a sampled estimate must fall to rule a candidate out:
the cut is THRESHOLD - SAMPLE_Z·sqrt(THRESHOLD(1 - THRESHOLD)/n) over a sampled union of n, so a pair
at THRESHOLD is ruled out with probability < 1e-5 (normal tail 3.4e-6; the sampled count's binomial
tail below the mean is lighter) whatever n, and a pair at 0.41, the lowest same-report score
measured, < 1e-12. At n = 200 the cut is 0.154 (≈ THRESHOLD / 2, the earlier fixed cut); at a
report's typical n ≈ 550 it is 0.214: unrelated reports sharing a few paragraphs (0.1-0.2) are ruled
out by their samples instead of a full intersection each (a third of the candidates were compared in
full with the fixed cut, an eighth with this one, in the 30,000-post bench)."""


def _sample(hashes: Iterable[int]) -> frozenset[int]:
    return frozenset(h for h in hashes if h >> SAMPLE_SHIFT == 0)


SAMPLE_BITS = 1 << 14
"""Bits of a sample's bitmap (2 kB): each sampled hash sets bit `h mod SAMPLE_BITS`. Two bitmaps'
common bits, plus the fewer of the hashes either sample lost to collisions within itself (~2 for a
15 kB report's ~275), are never fewer than the samples' common hashes (each common hash sets a common
bit; two of them share one only by colliding within each sample): what that bound rules out, the
samples rule out too."""


def _bitmap(hashes: Iterable[int], size: int = SAMPLE_BITS) -> int:
    bits = bytearray(size // 8)
    for h in hashes:
        i = h & (size - 1)
        bits[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(bits, "little")


FULL_BITS = 1 << 16
"""Bits of a text's full bitmap (8 kB): each of its shingle hashes sets bit `h mod FULL_BITS`. The
same bound as the sample's, over every hash, makes an exact test: two bitmaps' common bits plus the
fewer of the hashes either text lost to collisions within itself are never fewer than the texts'
common shingles, so a Jaccard that bound keeps below the threshold is below it. A report of ~2,200
shingles loses ~37 and gains ~30 chance common bits: pairs up to ~0.27 are settled by one AND and a
popcount (~3 µs) instead of a full intersection (~60 µs, the ints boxed out of the packed array)."""


def _ruled_out(common: int, size: int, threshold: float) -> bool:
    """Whether `common` shared sampled shingles of two samples of `size` in all put the Jaccard
    below `threshold` beyond doubt (SAMPLE_MIN, SAMPLE_Z). Monotone: true for `common`, true for
    any smaller count."""
    union = size - common
    if union < SAMPLE_MIN:
        return False
    return common < union * threshold - SAMPLE_Z * math.sqrt(union * threshold * (1 - threshold))


def exact_key(body_text: str) -> str:
    """The exact-duplicate key: the content hash (same hash → same report)."""
    return content_hash(body_text)


@dataclass(frozen=True)
class Shingles:
    """The hashed word shingles of one text: compute once, compare many times."""

    hashes: frozenset[int]

    def __len__(self) -> int:
        return len(self.hashes)

    @cached_property
    def sample(self) -> frozenset[int]:
        """The one-in-eight sample (SAMPLE_SHIFT) a candidate's sample is compared with first."""
        return _sample(self.hashes)

    @cached_property
    def sample_bits(self) -> int:
        """The sample's bitmap (SAMPLE_BITS), compared with a candidate's before their samples."""
        return _bitmap(self.sample)

    @cached_property
    def sample_lost(self) -> int:
        """Sampled hashes sharing a bit of the bitmap with another of the sample."""
        return len(self.sample) - self.sample_bits.bit_count()

    @cached_property
    def bits(self) -> int:
        """The full bitmap (FULL_BITS) of every hash: an exact upper bound on common shingles."""
        return _bitmap(self.hashes, FULL_BITS)

    @cached_property
    def lost(self) -> int:
        """Hashes sharing a bit of the full bitmap with another of the text."""
        return len(self.hashes) - self.bits.bit_count()

    def jaccard(self, other: Shingles) -> float:
        """|A ∩ B| / |A ∪ B|; two empty texts are identical."""
        return _jaccard(len(self.hashes & other.hashes), len(self.hashes), len(other.hashes))


@dataclass(frozen=True)
class PackedShingles:
    """The same hashes packed in an array (8 bytes each): a stored report's shingles as kept between
    lookups. A frozenset of Python ints takes ~90 bytes a shingle (a 15 kB report: ~200 kB), too
    much to keep the hundreds of reports a lookup may compare with."""

    hashes: array[int]
    sample: array[int]
    sample_bits: int = 0
    sample_lost: int = 0
    bits: int = 0  # the full bitmap (FULL_BITS); 0: not kept, `below` then decides nothing
    lost: int = 0

    @classmethod
    def of(cls, sh: Shingles) -> PackedShingles:
        return cls(
            array("Q", sh.hashes), array("Q", sh.sample), sh.sample_bits, sh.sample_lost, sh.bits, sh.lost
        )

    def below(self, probe: Shingles, threshold: float) -> bool:
        """True when the full bitmaps prove the Jaccard below `threshold` (FULL_BITS): exact, never
        a pair at or above it, and ~20 times cheaper than the full intersection it saves."""
        if not self.bits:
            return False
        common = (self.bits & probe.bits).bit_count() + min(self.lost, probe.lost)
        return (
            _jaccard(min(common, len(self.hashes), len(probe.hashes)), len(self.hashes), len(probe.hashes))
            < threshold
        )

    def unlikely(self, probe: Shingles, threshold: float) -> bool:
        """True when the samples alone put the Jaccard below `threshold` beyond doubt: a sampled
        union of at least SAMPLE_MIN shingles whose estimate is SAMPLE_Z standard deviations under
        the threshold. Ten times cheaper than `jaccard` (an eighth of the shingles): most
        candidates a min-hash band brings are unrelated reports sharing a paragraph or two. The
        bitmaps decide first (one AND and a popcount, ~10× cheaper than the samples' intersection):
        their count is never below the samples', so what they rule out the samples would too; the
        rest are counted exactly. The verdict is the samples'."""
        size = len(self.sample) + len(probe.sample)
        if self.sample_bits and _ruled_out(
            (self.sample_bits & probe.sample_bits).bit_count(), size, threshold
        ):
            return True
        return _ruled_out(len(probe.sample.intersection(self.sample)), size, threshold)

    def __len__(self) -> int:
        return len(self.hashes)

    def jaccard(self, other: Shingles) -> float:
        """Shingles.jaccard, the same value: the set probes the packed hashes."""
        return _jaccard(len(other.hashes.intersection(self.hashes)), len(self.hashes), len(other.hashes))


def _jaccard(common: int, size_a: int, size_b: int) -> float:
    """|A ∩ B| / |A ∪ B| from the sizes; two empty sets are identical."""
    return common / (size_a + size_b - common) if size_a or size_b else 1.0


def _hash(shingle: str) -> int:
    # A stable hash (Python's hash() changes per process), 64 bits: collisions are negligible.
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")


def shingles(text: str, size: int = SHINGLE_SIZE) -> Shingles:
    """Word `size`-shingles of the normalized, casefolded text (a short text is one shingle)."""
    words = _WORD.findall(normalized_text(text).casefold())
    if not words:
        return Shingles(frozenset())
    if len(words) <= size:
        return Shingles(frozenset({_hash(" ".join(words))}))
    return Shingles(frozenset(_hash(" ".join(words[i : i + size])) for i in range(len(words) - size + 1)))


def _as_shingles(value: str | Shingles) -> Shingles:
    return value if isinstance(value, Shingles) else shingles(value)


def similarity(a: str | Shingles, b: str | Shingles) -> float:
    """Shingle Jaccard similarity of two texts in [0, 1]; 1.0 means the same words in order."""
    return _as_shingles(a).jaccard(_as_shingles(b))


def find_near_duplicate(
    text: str | Shingles,
    candidates: Iterable[tuple[K, str | Shingles | PackedShingles]],
    threshold: float = THRESHOLD,
) -> tuple[K, float] | None:
    """The most similar candidate scoring at least `threshold`, with its score; else None.

    Pass candidates as precomputed `Shingles` (or `PackedShingles`) to compare against many stored
    reports cheaply. Ties go to the first candidate. A packed candidate whose size alone bounds the
    Jaccard below `threshold` (|A ∩ B| / |A ∪ B| ≤ min / max), or whose sample puts it far below
    (`PackedShingles.unlikely`), is not intersected in full.
    """
    probe = _as_shingles(text)
    size = len(probe.hashes)
    best: tuple[K, float] | None = None
    for key, other in candidates:
        if isinstance(other, PackedShingles):
            other_size = len(other.hashes)
            lo, hi = min(size, other_size), max(size, other_size)
            if (
                (hi and lo < threshold * hi)
                or other.unlikely(probe, threshold)
                or other.below(probe, threshold)
            ):
                continue
            score = other.jaccard(probe)
        else:
            score = probe.jaccard(_as_shingles(other))
        if score >= threshold and (best is None or score > best[1]):
            best = (key, score)
    return best


class ShingleIndex(Generic[K]):
    """Shingles of many reports with an inverted index, for one-against-thousands lookups.

    A query touches only reports sharing at least one shingle with it; Jaccard is computed
    exactly from the shared counts, so results equal `find_near_duplicate` over everything.
    """

    def __init__(self) -> None:
        self._sets: dict[K, Shingles] = {}
        self._postings: dict[int, set[K]] = {}

    def __len__(self) -> int:
        return len(self._sets)

    def add(self, key: K, text: str | Shingles) -> Shingles:
        """Index a report under `key` (replacing an earlier version of it); returns its shingles."""
        self.remove(key)
        sh = _as_shingles(text)
        self._sets[key] = sh
        for h in sh.hashes:
            self._postings.setdefault(h, set()).add(key)
        return sh

    def remove(self, key: K) -> None:
        """Forget a report (no error when it is not indexed)."""
        old = self._sets.pop(key, None)
        if old is None:
            return
        for h in old.hashes:
            keys = self._postings.get(h)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._postings[h]

    def query(
        self, text: str | Shingles, threshold: float = THRESHOLD, exclude: K | None = None
    ) -> tuple[K, float] | None:
        """The most similar indexed report at or above `threshold` (not `exclude`), with its score."""
        probe = _as_shingles(text)
        if not probe.hashes:
            return None
        shared: Counter[K] = Counter()
        for h in probe.hashes:
            shared.update(self._postings.get(h, ()))
        best: tuple[K, float] | None = None
        for key, common in shared.items():
            if key == exclude:
                continue
            score = common / (len(probe) + len(self._sets[key]) - common)
            if score >= threshold and (best is None or score > best[1]):
                best = (key, score)
        return best


# -- min-hash LSH: which stored reports are worth comparing ----------------------------------------
BANDS = 48
"""Bands of the min-hash signature: a stored report is a candidate when one band matches exactly."""

BAND_ROWS = 2
"""Min-hashes per band. With 48 bands of 2, a pair at Jaccard s becomes a candidate with probability
1 - (1 - s²)⁴⁸: 0.989 at THRESHOLD (0.3), 0.9999 at 0.41 (the lowest same-report score measured),
0.005 at 0.01 (different reports score 0.000-0.013), so few unrelated reports are ever compared."""

_MASK = (1 << 64) - 1


def _seeds(i: int) -> tuple[int, int]:
    digest = hashlib.blake2b(f"necwatch-minhash-{i}".encode(), digest_size=16).digest()
    return int.from_bytes(digest[:8], "big") | 1, int.from_bytes(digest[8:], "big")


_AB = tuple(_seeds(i) for i in range(BANDS * BAND_ROWS))


def _signature(sh: Shingles) -> list[int]:
    """BANDS × BAND_ROWS min-hashes, each the least of the shingles under one multiply-shift hash
    ((a·h + b) mod 2⁶⁴, top 32 bits: a universal family, and cheaper than a prime modulus)."""
    hashes = list(sh.hashes)
    return [min([((a * h + b) & _MASK) >> 32 for h in hashes]) for a, b in _AB]  # list: 2× a genexpr


def band_keys(text: str | Shingles) -> list[int]:
    """One 31-bit key per band of the text's min-hash signature (stable across processes, so they
    can be stored; 4 bytes in SQLite): two texts sharing a key are near-duplicate candidates (a
    chance collision only adds a candidate, which the exact Jaccard then rejects). Empty: no keys."""
    sh = _as_shingles(text)
    if not sh.hashes:
        return []
    sig = _signature(sh)
    keys = []
    for band in range(BANDS):
        part = sig[band * BAND_ROWS : (band + 1) * BAND_ROWS]
        raw = band.to_bytes(2, "big") + b"".join(v.to_bytes(8, "big") for v in part)
        keys.append(int.from_bytes(hashlib.blake2b(raw, digest_size=4).digest(), "big") >> 1)
    return keys
