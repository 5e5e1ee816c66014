"""The table page's speed fixes (issue 20, CHECKS) give the same page as before.

`listing_excerpt` reads a bounded prefix of a body instead of stripping the whole ~15 kB of it;
`table_body` builds the rows Datasette's `_table.html` built in a Jinja loop. Both must give the
same text as what they replace, on any input.
"""

from __future__ import annotations

import random
import re
from typing import Any

import jinja2
from datasette.utils import to_css_class
from markupsafe import Markup

from necwatch.publish.plugin import _truncate, listing_excerpt, table_body

PIECES = ["<", ">", "<p>", "</p>", "a", "bb ", " ", "\n", "word ", "<a href='x'>", "&amp;", "é", "<br/>",
          "  ", "<b", "\t", "x>y", "<!-- c -->", "The NEC agreed ", "<li>", "</li>"]  # fmt: skip


def _whole_body(html: str, limit: int) -> str:
    """What the listing showed before: the whole body stripped of tags, then cut."""
    return _truncate(" ".join(re.sub(r"<[^>]*>", " ", html).split()), limit)


def test_listing_excerpt_is_the_whole_body_excerpt_on_any_input() -> None:
    rng = random.Random(20)
    for _ in range(3000):
        html = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 2500)))
        for limit in (1, 40, 240):
            assert listing_excerpt(html, limit) == _whole_body(html, limit), (html, limit)


def test_listing_excerpt_of_a_long_report_body() -> None:
    paragraph = (
        "<p>The NEC <strong>agreed</strong> the <a href='https://example.org/x'>report</a> of the GS.</p>"
    )
    body = "<p>" + "word " * 5 + "<" + "</p>" + paragraph * 300  # an unclosed '<' in the text too
    assert len(body) > 15_000
    assert listing_excerpt(body, 240) == _whole_body(body, 240)
    assert listing_excerpt(body, 240).endswith(" …")
    # a long tag that crosses every prefix the excerpt tries: read on until it closes
    tagged = "<p title='" + "x" * 20_000 + "'>Short text.</p>"
    assert listing_excerpt(tagged, 240) == "Short text."


DATASETTE_LOOP = """{% for row in display_rows %}<tr>{% for cell in row %}<td class="col-{{ cell.column|to_css_class }} type-{{ cell.value_type }}">{{ cell.value }}</td>{% endfor %}</tr>{% endfor %}"""  # noqa: E501


def test_table_body_is_datasettes_rows_markup() -> None:
    env = jinja2.Environment(autoescape=True)
    env.filters["to_css_class"] = to_css_class
    rows: list[list[dict[str, Any]]] = [
        [
            {"column": "id", "value": Markup('<a href="/db/reports/r1">r1</a>'), "value_type": "pk"},
            {"column": "title", "value": "<script>alert('x')</script> & \"quotes\"", "value_type": "str"},
            {"column": "words count", "value": 1234, "value_type": "int"},
            {"column": "meeting_date", "value": Markup("&nbsp;"), "value_type": "none"},
        ],
        [
            {"column": "id", "value": Markup('<a href="/db/reports/r2">r2</a>'), "value_type": "pk"},
            {"column": "title", "value": "Carried 22–12", "value_type": "str"},
            {"column": "words count", "value": 1.5, "value_type": "float"},
            {"column": "meeting_date", "value": "2024-01-23", "value_type": "str"},
        ],
    ]
    expected = env.from_string(DATASETTE_LOOP).render(display_rows=rows)
    got = str(table_body(rows)).replace("\n", "")
    assert got == expected
    assert "<script>" not in got and "&lt;script&gt;" in got
