"""Platform knowledge lives in `necwatch.sources` only: no module outside it names a platform.

A string literal equal to a platform's name (`"blogger"`, `"wordpress"`, …) outside
`src/necwatch/sources/` is platform knowledge written out again beside the registry (a type list, an
if/elif, a list of extraction methods); consumers read `necwatch.sources.registry` instead. Docstrings
and messages that mention a platform in a sentence are not literals equal to its name.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parent.parent.parent / "src" / "necwatch"
NAMES = {"blogger", "wordpress", "labourlist", "substack", "ghost", "medium", "squarespace"}
# (file relative to src/necwatch, name): the few justified places, each with its reason.
ALLOWED = {
    # The demo's config.yaml, written out for `necwatch demo`: real sources need an explicit type.
    ("demo.py", "blogger"),
    ("demo.py", "wordpress"),
    ("demo.py", "labourlist"),
}


def _literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in NAMES
    ]


def test_no_platform_name_is_a_string_literal_outside_sources() -> None:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("sources/"):
            continue
        found += [f"{rel}:{line} {value!r}" for line, value in _literals(path) if (rel, value) not in ALLOWED]
    assert not found, "platform names outside necwatch.sources (read the registry):\n" + "\n".join(found)


def test_the_check_sees_a_literal(tmp_path: Path) -> None:
    probe = tmp_path / "x.py"
    probe.write_text('KINDS = ("auto", "Blogger")\n"""A docstring naming wordpress in a sentence."""\n')
    assert _literals(probe) == [(1, "Blogger")]
