"""What near-duplicate lookups keep between reports: stored reports' shingles (packed) and texts'
min-hash band keys, each in a least-recently-used cache bounded by what it holds, not by the archive.

A new NEC report is compared with every stored report sharing a min-hash band. Where reports share
paragraphs that is a fixed share of the archive (a third of the 10,000-post bench's reports), so a
cache smaller than that share recomputes most candidates' shingles (~8 ms each) on every lookup: the
backfill's cost per post grew with the archive. Packed (8 bytes a shingle) the whole share fits.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import OrderedDict
from collections.abc import Callable

from necwatch import dedupe

STORED_BUDGET = 56 << 20
"""Bytes of packed shingles kept: ~1,900 reports of 15 kB (~2,200 shingles, 17.6 kB packed each, a
2 kB sample bitmap and an 8 kB full one)."""

BANDS_KEPT = 4096
"""Texts whose band keys are kept (~0.3 kB each): a poll's new reports, looked up, then indexed."""


class PackedShingleCache:
    """Content hash → the packed shingles of a stored report's text (the same hash, the same
    normalized text, the same shingles); the least recently used go beyond `budget` bytes."""

    def __init__(self, budget: int = STORED_BUDGET) -> None:
        self.budget = budget
        self.size = 0
        self._items: OrderedDict[str, dedupe.PackedShingles] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, content_hash: str, text: Callable[[], str]) -> dedupe.PackedShingles:
        """The cached shingles, else those of `text()` (read only on a miss), kept."""
        found = self._items.get(content_hash)
        if found is not None:
            self._items.move_to_end(content_hash)
            return found
        return self.put(content_hash, dedupe.shingles(text()))

    def put(self, content_hash: str, shingles: dedupe.Shingles) -> dedupe.PackedShingles:
        """Keep a text's shingles, computed anyway: a report just stored, whose shingles its own
        lookup made, is a later lookup's candidate (else read and shingled again, ~7 ms)."""
        found = self._items.get(content_hash)
        if found is not None:
            self._items.move_to_end(content_hash)
            return found
        packed = dedupe.PackedShingles.of(shingles)
        self._items[content_hash] = packed
        self.size += _bytes(packed)
        while self.size > self.budget and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self.size -= _bytes(old)
        return packed

    def clear(self) -> None:
        self._items.clear()
        self.size = 0


class BandKeyCache:
    """A text's band keys, keyed by a digest of the text (not the text: 15 kB a report): computed
    once (~30 ms) for the lookup of a new report and again found when the poll indexes it."""

    def __init__(self, keep: int = BANDS_KEPT) -> None:
        self.keep = keep
        self._items: OrderedDict[bytes, array[int]] = OrderedDict()

    def get(self, text: str, shingles: Callable[[str], dedupe.Shingles]) -> list[int]:
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        found = self._items.get(key)
        if found is None:
            found = array("I", dedupe.band_keys(shingles(text)))  # 31-bit keys
            self._items[key] = found
            if len(self._items) > self.keep:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return list(found)

    def clear(self) -> None:
        self._items.clear()


def _bytes(packed: dedupe.PackedShingles) -> int:
    bitmaps = sum(b.bit_length() // 8 + 32 for b in (packed.sample_bits, packed.bits) if b)
    return 128 + packed.hashes.itemsize * (len(packed.hashes) + len(packed.sample)) + bitmaps
