"""What the CLI, the feeds, notify and the scheduler read from (and mark in) the dataset."""

from __future__ import annotations

from necwatch.store.base import StoreBase


class ReaderQueries(StoreBase):
    """Reads for everything downstream of a poll: alerts, source health, feeds, summaries."""
