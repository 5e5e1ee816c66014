"""stored_posts_of: a poll reads the stored posts its observations name, by id or by url, of its
own source only, instead of the source's whole archive."""

from __future__ import annotations

from necwatch.store import Store
from necwatch.track import post_key


def _post(store: Store, source: str, url: str, pid: str | None = None) -> str:
    pid = pid or post_key(source, url)
    store.db["posts"].insert(
        {"id": pid, "source": source, "url": url, "title": url, "missing_polls": 0, "is_nec_report": 0}
    )
    return pid


def test_only_the_named_posts_of_the_source_are_read() -> None:
    store = Store.memory()
    with store.transaction():
        store.db.execute("insert into sources (name) values ('a'), ('b')")
        a1 = _post(store, "a", "https://a.example/1")
        _post(store, "a", "https://a.example/2")
        legacy = _post(store, "a", "https://a.example/3", pid="an-older-id")  # found by its url
        _post(store, "b", "https://a.example/1")  # another source's post at the same url
    got = store.stored_posts_of("a", [a1, post_key("a", "https://a.example/3")], ["https://a.example/3"])
    assert [(p.id, p.meta["source"]) for p in got] == [(a1, "a"), (legacy, "a")]
    assert store.stored_posts_of("a", [], []) == []


def test_more_posts_than_one_query_holds_are_all_read_in_insertion_order() -> None:
    store = Store.memory()
    with store.transaction():
        store.db.execute("insert into sources (name) values ('a')")
        ids = [_post(store, "a", f"https://a.example/{i}") for i in range(1201)]
    assert [p.id for p in store.stored_posts_of("a", reversed(ids), [])] == ids
