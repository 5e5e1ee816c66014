"""Datasette's `.atom` feeds stay well-formed XML when stored text holds characters XML 1.0 forbids
(ESC, U+0001, U+FFFE: rows stored before ingestion stripped them, or written by hand): feedgen
(lxml) refused them and every subscriber got a 500 (issue 18, "One bad value")."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

BAD = "Evil\x1b[31m\x01\ufffe\uffff NEC Report"


def test_atom_feeds_strip_characters_xml_forbids(client_for: Any, db_copy: Path) -> None:
    conn = sqlite3.connect(db_copy)
    conn.execute("update reports set title = ?, author = ?, body_html = ?", [BAD, BAD, f"<p>{BAD}</p>"])
    conn.execute("update alerts set title = ?, summary = ?", [BAD, BAD])
    conn.commit()
    conn.close()
    c = client_for(db_copy)
    for path, params in [
        ("/demo/feed_new_reports.atom", {}),
        ("/demo/feed_changes.atom", {}),
        ("/demo/feed_search.atom", {"q": "evil"}),
    ]:
        r = c.get(path, params=params)
        assert r.status_code == 200, (path, r.text[:300])
        root = ET.fromstring(r.content)  # strict: raises on a feed that is not well-formed
        titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
        assert any(t and "Evil[31m NEC Report" in t for t in titles), (path, titles[:3])
