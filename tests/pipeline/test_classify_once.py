"""A post is classified once while it lives (the adapter's wants_comments, then normalize_post),
and the pipeline keeps neither the post nor its body after it is gone."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from necwatch import pipeline
from necwatch.config import config_from_dict
from necwatch.models import Post

BODY = "The NEC met on 21 March 2024.\n\nWe agreed the selection timetable."


def test_classified_once_and_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = config_from_dict(
        {
            "database": str(tmp_path / "a.db"),
            "sources": [{"name": "blog", "type": "wordpress", "url": "https://blog.example/"}],
        },
        file="<test>",
    )
    source = config.sources[0]
    calls = []
    real = pipeline.classify
    monkeypatch.setattr(pipeline, "classify", lambda post, match: calls.append(post.url) or real(post, match))
    posts = [
        Post(
            f"https://blog.example/nec-report-{i}",
            f"NEC Report – March 2024 ({i})",
            f"<p>{BODY}</p>",
            BODY,
            published_at=datetime(2024, 3, 21, tzinfo=UTC),
        )
        for i in range(3000)
    ]  # more than a backfill batch of one site
    wants = pipeline.wants_comments(source)
    assert all(wants(p) for p in posts)
    norms = [pipeline.normalize_post(p, None, source, config) for p in posts]
    assert len(calls) == len(posts) and all(n.is_nec_report for n in norms)
    del posts, norms
    gc.collect()
    assert len(pipeline._CLASSIFIED) == 0
