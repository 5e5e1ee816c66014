"""The dated roster of people the record resolves names against (Popolo-shaped, shipped as data).

`roster.json` (next to this module) holds persons (`id`, `name`, `other_names`), organizations
(`nec`, `labour-party`, `government`) and memberships (`person_id`, `organization_id`, `role`,
`section` or `post`, `start_date`, `end_date`, `source`). Dates are ISO 8601, shortened to `YYYY-MM`
or `YYYY` when only that much is known: a start counts from the first day of that period, an end to
its last day, and a null end is open. Every membership says where its period comes from.

The operator extends or corrects the roster in config.yaml (`people:`, see docs/record.md): a person
with a new id is added, one with a shipped id is merged (name replaced, other names added,
memberships added or, when organization, role and start date match a shipped one, replaced).
"""

from __future__ import annotations

import calendar
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from importlib import resources
from typing import Any

from nameparser import HumanName

from necwatch.errors import ConfigError

ROSTER_FILE = "roster.json"
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

# How an office is asked for in the text → the roster's role, and which organization holds it.
OFFICE_ROLES = {
    "leader": ("labour-party", "Leader"),
    "deputy leader": ("labour-party", "Deputy Leader"),
    "general secretary": ("labour-party", "General Secretary"),
    "treasurer": ("labour-party", "Treasurer"),
    "chair": ("nec", "Chair"),
    "vice-chair": ("nec", "Vice-Chair"),
    "eplp leader": ("nec", "EPLP Leader"),
    "scottish leader": ("labour-party", "Leader of Scottish Labour"),
    "welsh leader": ("labour-party", "Leader of Welsh Labour"),
    "prime minister": ("government", "Prime Minister"),
    "party chair": ("labour-party", "Party Chair"),
}
# When one person holds several roles on a date, the one a reader expects first.
_ROLE_RANK = {
    "Leader": 0,
    "Prime Minister": 1,
    "Deputy Leader": 2,
    "General Secretary": 3,
    "Treasurer": 4,
    "Chair": 5,
    "Vice-Chair": 6,
    "EPLP Leader": 7,
    "Leader of Scottish Labour": 8,
    "Leader of Welsh Labour": 9,
    "Party Chair": 10,
    "NEC member": 30,
}


def parse_partial_date(value: object, *, end: bool = False) -> date | None:
    """`2018`, `2018-03` or `2018-03-20` → a date: the first day of the period, or its last when `end`."""
    if value is None:
        return None
    if isinstance(value, date):
        return value
    m = _PARTIAL_DATE.match(str(value).strip())
    if not m:
        raise ValueError(f"not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}")
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else (12 if end else 1)
    if m.group(3):
        return date(year, month, int(m.group(3)))
    return date(year, month, calendar.monthrange(year, month)[1] if end else 1)


def on_date(meeting_date: str | None, published: date | None) -> date | None:
    """The date the roster is read on: the meeting's (mid-month when only the month is known), else the
    publication date."""
    if meeting_date:
        m = _PARTIAL_DATE.match(meeting_date.strip())
        if m:
            year = int(m.group(1))
            month = int(m.group(2) or 7)
            day = int(m.group(3)) if m.group(3) else 15
            try:
                return date(year, month, day)
            except ValueError:
                pass
    return published


def name_parts(name: str) -> tuple[str, str]:
    """(first, last) of a person's name, honorifics and suffixes aside ("Dame Margaret Beckett MP")."""
    parsed = HumanName(name)
    first, last = parsed.first, (parsed.last.split() or [""])[-1]  # "de Cordova" is written "Cordova"
    words = name.split()
    if not first and words:
        first = words[0]
    if not last and words:
        last = words[-1]
    return first, last


@dataclass(frozen=True)
class Membership:
    person_id: str
    organization_id: str
    role: str
    start: date | None
    end: date | None
    section: str | None = None
    post: str | None = None
    source: str | None = None
    start_exact: date | None = None  # the last day the start could be, when only YYYY or YYYY-MM is known
    end_exact: date | None = None  # the first day the end could be, likewise

    def covers(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def surely_covers(self, day: date) -> bool:
        """Covers the day whichever day of a partly known start or end month (or year) it was."""
        if not self.covers(day):
            return False
        late_start = self.start_exact or self.start
        early_end = self.end_exact or self.end
        return (late_start is None or late_start <= day) and (early_end is None or day <= early_end)

    @property
    def label(self) -> str:
        """The role as a reader reads it: "General Secretary", "NEC member (CLP)", "Leader (acting)"."""
        if self.role == "NEC member" and self.section:
            return f"NEC member ({self.section})"
        return f"{self.role} ({self.post})" if self.post else self.role


@dataclass(frozen=True)
class Roster:
    """Persons with other_names, memberships with dates; the shipped data plus operator extensions.

    `persons` and `memberships` are Popolo dicts (what the store writes); the lookups are built once
    per roster and cached on it.
    """

    persons: tuple[dict, ...] = ()
    memberships: tuple[dict, ...] = ()
    organizations: tuple[dict, ...] = field(default=(), compare=False)

    @classmethod
    def shipped(cls) -> Roster:
        """The roster shipped with necwatch (read once per process)."""
        return _shipped()

    @classmethod
    def from_popolo(cls, data: Mapping[str, Any]) -> Roster:
        return cls(
            persons=tuple(data.get("persons") or ()),
            memberships=tuple(data.get("memberships") or ()),
            organizations=tuple(data.get("organizations") or ()),
        )

    def as_popolo(self) -> dict[str, Any]:
        return {
            "organizations": list(self.organizations),
            "persons": list(self.persons),
            "memberships": list(self.memberships),
        }

    # --- lookups (cached) ---

    @cached_property
    def by_id(self) -> dict[str, dict]:
        return {p["id"]: p for p in self.persons}

    @cached_property
    def terms(self) -> dict[str, tuple[Membership, ...]]:
        """person id → their memberships, parsed."""
        out: dict[str, list[Membership]] = {}
        for m in self.memberships:
            out.setdefault(m["person_id"], []).append(
                Membership(
                    person_id=m["person_id"],
                    organization_id=m.get("organization_id") or "nec",
                    role=m.get("role") or "NEC member",
                    start=parse_partial_date(m.get("start_date")),
                    end=parse_partial_date(m.get("end_date"), end=True),
                    section=m.get("section"),
                    post=m.get("post"),
                    source=m.get("source"),
                    start_exact=parse_partial_date(m.get("start_date"), end=True),
                    end_exact=parse_partial_date(m.get("end_date")),
                )
            )
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def office_terms(self) -> dict[tuple[str, str], tuple[Membership, ...]]:
        """(organization, role) → its holders' terms."""
        out: dict[tuple[str, str], list[Membership]] = {}
        for terms in self.terms.values():
            for t in terms:
                out.setdefault((t.organization_id, t.role), []).append(t)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def names(self) -> NameIndex:
        """The alias index find_people matches text against (built once per roster)."""
        return NameIndex.build(self)

    def name(self, person_id: str) -> str:
        return str(self.by_id[person_id]["name"])

    def other_names(self, person_id: str) -> list[str]:
        return [_other_name(o) for o in self.by_id[person_id].get("other_names") or ()]

    def active(self, person_id: str, day: date | None) -> bool:
        """Whether the person held any roster post on that day (unknown day: never)."""
        if day is None:
            return False
        return any(t.covers(day) for t in self.terms.get(person_id, ()))

    def role(self, person_id: str, day: date | None) -> str | None:
        """The role the roster gives the person on that day, the highest-ranked when several."""
        if day is None:
            return None
        covering = [t for t in self.terms.get(person_id, ()) if t.covers(day)]
        held = [t for t in covering if t.surely_covers(day)] or covering
        if not held:
            return None
        held.sort(key=lambda t: (_ROLE_RANK.get(t.role, 20), t.role))
        return held[0].label

    def roles_held(self, person_id: str, day: date | None) -> tuple[str, ...]:
        """Every role the person may have held that day (partly known dates included)."""
        if day is None:
            return ()
        return tuple(t.label for t in self.terms.get(person_id, ()) if t.covers(day))

    def holder(self, office: str, day: date | None, *, prefer: str | None = None) -> str | None:
        """Who held an office (a key of OFFICE_ROLES) on that day, or None when the roster cannot say.

        On a handover day known to the day, the one who took over. When the day falls in a month (or
        year) the roster knows only partly, and two holders might have held it, nobody: never a guess,
        unless the text said which (`prefer`: "new" for the new or incoming holder, "old" the outgoing).
        """
        if day is None or office not in OFFICE_ROLES:
            return None
        covering = [t for t in self.office_terms.get(OFFICE_ROLES[office], ()) if t.covers(day)]
        if prefer in ("new", "old") and covering:  # "the new General Secretary": the text says which
            covering.sort(key=lambda t: t.start or date.min)
            return covering[-1 if prefer == "new" else 0].person_id
        sure = [t for t in covering if t.surely_covers(day)]
        if sure:
            sure.sort(key=lambda t: t.start or date.min)
            return sure[-1].person_id
        return covering[0].person_id if len({t.person_id for t in covering}) == 1 else None


def fold(text: str) -> str:
    """A name token as compared: case-folded, curly apostrophes straightened, accents dropped
    ("Zoë" is "zoe", "Sinéad" is "sinead")."""
    text = text.replace("’", "'").casefold()
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


@dataclass(frozen=True)
class NameIndex:
    """Every way the roster writes a person, for matching text.

    `full`: a name of two or more words (folded tokens) → person ids; `single`: one word (first name,
    surname or a one-word other name) → person ids; `given`: words that are given names (the roster's
    first names and the shipped given_names.txt); `fuzzy`: full names for misspelling matches.
    """

    full: dict[tuple[str, ...], frozenset[str]]
    single: dict[str, frozenset[str]]
    tokens: dict[str, frozenset[str]]  # person id → the single words that name them
    given: frozenset[str]
    fuzzy: tuple[tuple[str, str], ...]  # (folded full name, person id)
    surnames: dict[str, frozenset[str]]

    @cached_property
    def fuzzy_names(self) -> tuple[str, ...]:
        return tuple(name for name, _pid in self.fuzzy)

    @classmethod
    def build(cls, roster: Roster) -> NameIndex:
        full: dict[tuple[str, ...], set[str]] = {}
        single: dict[str, set[str]] = {}
        tokens: dict[str, set[str]] = {}
        surnames: dict[str, set[str]] = {}
        given = set(_given_names())
        fuzzy: list[tuple[str, str]] = []
        for p in roster.persons:
            pid = p["id"]
            names = [str(p["name"]), *roster.other_names(pid)]
            first, last = name_parts(str(p["name"]))
            if first:
                given.add(fold(first))
            for n in names:
                words = tuple(fold(w) for w in n.split() if fold(w).rstrip(".") not in _HONORIFICS)
                words = tuple(w for w in words if w not in _SUFFIXES)
                if len(words) >= 2:
                    full.setdefault(words, set()).add(pid)
                    fuzzy.append((" ".join(words), pid))
                    for w in (words[0], words[-1]):  # "Pete" of "Pete Willsman", "Jenny" of "Jenny Formby"
                        single.setdefault(w, set()).add(pid)
                        tokens.setdefault(pid, set()).add(w)
                elif len(words) == 1:
                    single.setdefault(words[0], set()).add(pid)
                    tokens.setdefault(pid, set()).add(words[0])
            for w in (first, last):
                if w:
                    single.setdefault(fold(w), set()).add(pid)
                    tokens.setdefault(pid, set()).add(fold(w))
            if last:
                surnames.setdefault(fold(last), set()).add(pid)
            parts = str(p["name"]).split()
            if len(parts) > 2:  # "Gurinder Singh Josan" is also written "Gurinder Josan"
                full.setdefault((fold(parts[0]), fold(parts[-1])), set()).add(pid)
        return cls(
            full={k: frozenset(v) for k, v in full.items()},
            single={k: frozenset(v) for k, v in single.items()},
            tokens={k: frozenset(v) for k, v in tokens.items()},
            given=frozenset(given),
            fuzzy=tuple(sorted(set(fuzzy))),
            surnames={k: frozenset(v) for k, v in surnames.items()},
        )


# Words before a name that are not part of it, and after it (folded).
def words(text: str) -> frozenset[str]:
    """A vocabulary written as words separated by spaces."""
    return frozenset(text.split())


_HONORIFICS = words(
    "lord baroness lady dame sir cllr councillor dr prof professor mr mrs ms miss mx rt hon right honourable "
    "comrade cde"
)
_SUFFIXES = words("mp mep msp am ms mla obe mbe cbe kc qc jp dbe kcb pc")


@lru_cache(maxsize=1)
def _given_names() -> frozenset[str]:
    text = resources.files("necwatch.record").joinpath("given_names.txt").read_text(encoding="utf-8")
    return frozenset(fold(w) for line in text.splitlines() if not line.startswith("#") for w in line.split())


def _other_name(o: object) -> str:
    return str(o.get("name", "")) if isinstance(o, Mapping) else str(o)


@lru_cache(maxsize=1)
def _shipped() -> Roster:
    text = resources.files("necwatch.record").joinpath(ROSTER_FILE).read_text(encoding="utf-8")
    return Roster.from_popolo(json.loads(text))


def roster_for(people: Iterable[Mapping[str, Any]] | None = None, *, base: Roster | None = None) -> Roster:
    """The shipped roster extended/corrected by config.yaml's `people:` (already validated dicts:
    `id`, optional `name`, `other_names`, `memberships`). Same id = merge; raises ConfigError naming
    the field when an entry cannot be applied."""
    base = base or Roster.shipped()
    if not people:
        return base
    entries = [dict(p) for p in people]
    key = json.dumps(entries, sort_keys=True, default=str)
    if base is Roster.shipped() and key in _MERGED:  # the same config: the same roster, index built once
        return _MERGED[key]
    merged = _merge(base, entries)
    if base is Roster.shipped():
        if len(_MERGED) >= 8:
            _MERGED.pop(next(iter(_MERGED)))
        _MERGED[key] = merged
    return merged


_MERGED: dict[str, Roster] = {}


def _merge(base: Roster, people: list[dict[str, Any]]) -> Roster:
    persons = {p["id"]: {**p, "other_names": list(p.get("other_names") or ())} for p in base.persons}
    memberships = [dict(m) for m in base.memberships]
    for i, entry in enumerate(people):
        pid = entry.get("id")
        where = f"people[{i}]" + (f" ({pid})" if pid else "")
        if not pid:
            raise ConfigError("a person needs an id (e.g. eddie-lopez)", field=f"{where}.id")
        person = persons.get(pid)
        if person is None:
            if not entry.get("name"):
                raise ConfigError(
                    f"a new person needs a name (no shipped person has id {pid!r})", field=f"{where}.name"
                )
            person = persons[pid] = {"id": pid, "name": entry["name"], "other_names": []}
        elif entry.get("name"):
            person["name"] = entry["name"]
        known = {_other_name(o).casefold() for o in person["other_names"]}
        for alias in entry.get("other_names") or ():
            text = _other_name(alias).strip()
            if text and text.casefold() not in known:
                person["other_names"].append({"name": text})
                known.add(text.casefold())
        for j, m in enumerate(entry.get("memberships") or ()):
            new = _membership(pid, m, f"{where}.memberships[{j}]")
            key = (new["organization_id"], new["role"], new["start_date"])
            for k, old in enumerate(memberships):
                if (
                    old["person_id"] == pid
                    and (old["organization_id"], old["role"], old["start_date"]) == key
                ):
                    memberships[k] = new
                    break
            else:
                memberships.append(new)
    return Roster(
        persons=tuple(persons.values()), memberships=tuple(memberships), organizations=base.organizations
    )


def _membership(pid: str, m: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "person_id": pid,
        "organization_id": m.get("organization") or m.get("organization_id") or "nec",
        "role": m.get("role") or "NEC member",
    }
    for key in ("section", "post"):
        if m.get(key):
            out[key] = m[key]
    for key in ("start_date", "end_date"):
        value = m.get(key)
        try:
            parse_partial_date(value)
        except ValueError as e:
            raise ConfigError(str(e), field=f"{where}.{key}") from e
        out[key] = value.isoformat() if isinstance(value, date) else value
    out["source"] = m.get("source") or "config.yaml"
    return out
