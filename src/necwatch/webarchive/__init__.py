"""The web archive as a source (issue 22): the Wayback Machine's CDX listing and raw (`id_`)
captures, read through necwatch's own fetcher, extracted like live pages, stored with provenance.

(`necwatch.archive` is another thing: the stand-in fetcher `reextract` reads stored responses with.)

    cdx.py        the CDX API: query URLs, JSON rows, resume keys, SURT keys (pure)
    memento.py    archive URLs: `id_` capture URLs and reading them back (pure)
    pick.py       which listed URLs are post pages (platform URL patterns, then a heuristic)
    verdict.py    is a fetched capture a version of the post? (error, redirect, login, other page)
    client.py     polite requests to the archive: one at a time, a delay, Retry-After, a budget
    backfill.py   one source's backfill: list, pick, fetch, extract, track, store, resume
    emulator.py   an emulated archive (CDX + `id_`) for tests, the bench and the demo
"""
