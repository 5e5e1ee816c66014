"""Bad input: extract_record returns a Record (possibly empty) in bounded time, never a crash or a hang.

Every case is bounded by pytest-timeout (no timed asserts: the machine is shared). Every case checks
the record's invariants: every quote a verbatim substring of the body, every paragraph id one of the
record's paragraphs, every count a non-negative int. The texts are composed for these tests (the genre's
sentences, not third-party reports).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from necwatch.record import Record, extract_record

PUBLISHED = date(2024, 1, 24)

GENRE = [
    "NEC Report – 23 January 2024",
    "The NEC meeting on 23 January began with tributes to colleagues who had died since we last met.",
    "Sam Carter and Jo Brennan moved and seconded a motion on the timetable for selections. "
    "After a long debate the motion was carried by 22 votes to 12 with 2 abstentions.",
    "Treasurer's report",
    "We noted the Treasurer's report. The 2025 accounts were approved unanimously.",
    "The following were agreed:",
    "• The new safeguarding policy (agreed)",
    "• A review of the disputes procedure, to report back in March",
    "Cllr Priya Natarajan asked whether the review would include regional boards. "
    "The General Secretary said it would.",
    "I voted against the amendment, which was lost by 9 votes to 25.",
    "Finally, we thanked the staff for their work on conference.",
]

LANGUAGES = {
    "french": [
        "Rapport du NEC – 23 janvier 2024",
        "La réunion du Comité exécutif national du 23 janvier a commencé par un hommage aux camarades "
        "disparus.",
        "Marie Lefèvre et Jean Dupont ont proposé et appuyé une motion sur le calendrier des sélections. "
        "Après un long débat, la motion a été adoptée par 22 voix contre 12, avec 2 abstentions.",
        "Nous avons pris note du rapport du trésorier. Le comité a rejeté l’amendement à l’unanimité.",
        "« Nous devons gagner », a déclaré la secrétaire générale.",
    ],
    "german": [
        "Bericht des NEC – 23. Januar 2024",
        "Die Sitzung des Nationalen Exekutivkomitees am 23. Januar begann mit einer Gedenkminute.",
        "Anna Müller und Jürgen Weiß stellten einen Antrag zum Zeitplan der Kandidatenauswahl. "
        "Nach langer Debatte wurde der Antrag mit 22 zu 12 Stimmen bei 2 Enthaltungen angenommen.",
        "Wir nahmen den Bericht des Schatzmeisters zur Kenntnis. Der Änderungsantrag wurde einstimmig "
        "abgelehnt.",
        "„Wir müssen gewinnen“, sagte die Generalsekretärin.",
    ],
    "welsh": [
        "Adroddiad y NEC – 23 Ionawr 2024",
        "Dechreuodd cyfarfod y Pwyllgor Gwaith Cenedlaethol ar 23 Ionawr gyda theyrngedau i gyfeillion.",
        "Cynigiodd Siân Llewelyn ac eiliodd Dafydd ap Gwilym gynnig ar amserlen y dewis ymgeiswyr. "
        "Ar ôl dadl hir, pasiwyd y cynnig o 22 pleidlais i 12, gyda 2 yn ymatal.",
        "Nodwyd adroddiad y Trysorydd. Cytunwyd yn unfrydol ar y polisi diogelu newydd.",
        "Dywedodd yr Ysgrifennydd Cyffredinol fod yn rhaid i ni ennill.",
    ],
}

FIRST = [
    "Aisha",
    "Ben",
    "Chloe",
    "Dev",
    "Ellen",
    "Farid",
    "Grace",
    "Hamza",
    "Isla",
    "Jonah",
    "Kiran",
    "Leila",
    "Mo",
    "Nadia",
    "Owen",
    "Paula",
    "Quentin",
    "Rosa",
    "Sunil",
    "Tara",
    "Umar",
    "Vera",
    "Wes",
    "Yusuf",
    "Zara",
]
LAST = [
    "Abbott",
    "Bhatt",
    "Clarke",
    "Dlamini",
    "Evans",
    "Fraser",
    "Gill",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lloyd",
    "Morgan",
    "Nolan",
    "O'Neill",
    "Patel",
    "Quinn",
    "Reid",
    "Shah",
    "Taylor",
]
NAMES = [f"{f} {s}" for s in LAST for f in FIRST]  # 500 distinct names


def check(record: Record, body: str) -> Record:
    """The invariants every record keeps, whatever the input."""
    assert isinstance(record, Record)
    ids = {p.id for p in record.paragraphs}
    for d in record.decisions:
        assert d.quote and d.quote in body, d.quote[:80]
        assert d.paragraph in ids
        for n in (d.votes_for, d.votes_against, d.abstentions):
            assert n is None or (isinstance(n, int) and n >= 0)
    for s in record.statements:
        assert s.quote and s.quote in body, s.quote[:80]
        assert s.paragraph in ids
    for p in record.people:
        assert set(p.paragraphs) <= ids
    for i in record.items:
        assert i.paragraph in ids and set(i.paragraphs) <= ids
    quoted = sum(len(d.quote) for d in record.decisions) + sum(len(s.quote) for s in record.statements)
    assert quoted <= 4 * len(body) + 10_000  # quotes bounded by the text (a 36 kB one made 61 MB)
    json.dumps(record.as_json())  # the inspect --json shape serializes
    return record


def run(body: str, title: str = "NEC Report", published: date | None = PUBLISHED) -> Record:
    return check(extract_record(title, body, published, author="Alex Reporter"), body)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "body", ["", " ", "\n\n\n", "\u00a0\n\u200b"], ids=["empty", "space", "newlines", "nbsp"]
)
def test_an_empty_body_gives_an_empty_record(body: str) -> None:
    record = run(body)
    assert record.decisions == () and record.statements == ()


@pytest.mark.timeout(30)
def test_no_title_no_date_no_author() -> None:
    body = "\n\n".join(GENRE)
    check(extract_record("", body, None), body)


@pytest.mark.timeout(60)
def test_one_paragraph_of_100_kb() -> None:
    sentences = " ".join(p for p in GENRE if len(p) > 40)
    body = (sentences + " ") * (100_000 // len(sentences) + 1)
    body = body[:100_000].rsplit(" ", 1)[0]
    assert "\n" not in body
    run(body, "NEC Report – 23 January 2024")


@pytest.mark.timeout(300)  # a hang detector on a shared machine: ~30 s unloaded
def test_a_5_mb_report() -> None:
    paragraphs: list[str] = []
    size = i = 0
    while size < 5_000_000:
        p = GENRE[i % len(GENRE)]
        paragraphs.append(p if i % 3 else f"{p} (item {i})")  # some repeated, some unique paragraphs
        size += len(paragraphs[-1].encode()) + 2
        i += 1
    body = "\n\n".join(paragraphs)
    assert len(body.encode()) >= 5_000_000
    run(body, "NEC Report – 23 January 2024")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_text_in_another_language(language: str) -> None:
    title, *rest = LANGUAGES[language]
    body = "\n\n".join(rest)
    first = run(body, title)
    assert first == run(body, title)  # deterministic


@pytest.mark.timeout(60)
def test_a_report_naming_500_people() -> None:
    body = "\n\n".join(
        [
            "The meeting opened with tributes to " + ", ".join(NAMES[:-1]) + " and " + NAMES[-1] + ".",
            *(f"{name} said that the party must win the next election." for name in NAMES),
            "We thanked " + ", ".join(f"Cllr {n}" for n in NAMES[::7]) + " for their service.",
        ]
    )
    record = run(body, "NEC Report – 23 January 2024")
    assert record == run(body, "NEC Report – 23 January 2024")
    assert len(record.people) <= 2 * len(NAMES)  # no name multiplied (each named once or twice at most)


PATHOLOGICAL = {
    "dots": "." * 100_000,
    "ellipses": "Well… " * 20_000,
    "parentheses": "(" * 50_000 + ")" * 50_000,
    "unbalanced quotes": "“He said ‘the motion’ was ”carried“ " * 5_000,
    "digits": "1" * 100_000,
    "numbers with separators": "1,234,567.89, " * 8_000,
    "score chains": "22-12-" * 20_000,
    "counts without end": "by 22 votes to 12 with 3 abstentions and " * 3_000,
    "number words": "twenty-two votes to twelve, " * 4_000,
    "initials": "A. " * 35_000,
    "abbreviations": "Mr. Mrs. Dr. St. Cllr. No. " * 4_000,
    "capitalised run": " ".join(f"Aa{i % 97}bc Cd" for i in range(12_000)),
    "one long word": "x" * 100_000,
    "movers": "Sam Carter and " * 8_000 + "moved and seconded the motion.",
    "said chain": "said " * 20_000,
    "dashes": "– — - ‒ ― " * 10_000,
    "newlines": "\n" * 50_000 + "The motion was carried by 22 votes to 12." + "\n" * 50_000,
    "line per word": "\n".join(["agreed"] * 30_000),
    "bullets": "\n\n".join(["• agreed"] * 20_000),
    "controls and emoji": "\x00\x07\x1b[31m 🗳️ \u202e agreed \u202c 22–12 " * 5_000,
    "dates": "17/05/2016 25th January 2022 last Tuesday " * 3_000,
    "percent and money": "£1.5m 10.4% £250,000 ¼ " * 6_000,
    "urls": "https://example.org/a/b?c=d&e=f#g " * 3_000,
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_punctuation_and_numbers(name: str) -> None:
    run(PATHOLOGICAL[name], "NEC Report – 23 January 2024")


@pytest.mark.timeout(60)
def test_a_french_report_through_inspect_json(tmp_path: Path) -> None:
    """The same bounds through the command line: `necwatch inspect FILE --json` exits 0 with a post
    (and, once the record is in inspect's output, a record whose quotes are in the body)."""
    title, *rest = LANGUAGES["french"]
    paragraphs = "".join(f"<p>{p}</p>" for p in rest) + "<p>" + PATHOLOGICAL["score chains"][:20_000] + "</p>"
    page = tmp_path / "rapport.html"
    page.write_text(
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{title}</title>"
        '<meta property="article:published_time" content="2024-01-24T13:37:00+00:00">'
        '<meta name="author" content="Marie Exemple"></head><body>'
        f'<article class="post hentry"><h1 class="entry-title">{title}</h1>'
        f'<div class="entry-content">{paragraphs}</div></article></body></html>',
        encoding="utf-8",
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "necwatch",
            "inspect",
            str(page),
            "--url",
            "https://example.org/2024/01/r/",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=55,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    post = json.loads(out.stdout)["posts"][0]
    assert post["title"] == title and "Marie Lefèvre" in post["body_text"]
    record = post.get("record")
    if record is not None:
        for d in record["decisions"]:
            assert d["quote"] in post["body_text"]
        for s in record["statements"]:
            assert s["quote"] in post["body_text"]
