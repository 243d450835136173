"""docs/events.md shows the vocabulary and field limits exactly as the code defines them.

The two tables between the ``<!-- generated -->`` markers are rendered from
``core.events.EVENT_SPECS`` and ``store.eventlog.EventIn``; after changing either, rewrite
them with ``python tests/store/test_event_docs.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from laotie.core.events import EVENT_CODES, EVENT_SPECS
from laotie.store.eventschema import EventIn

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"
START, END = "<!-- generated: start -->", "<!-- generated: end -->"


def _limits(schema: dict[str, Any]) -> str:
    options = schema.get("anyOf", [schema])
    spec = next((o for o in options if o.get("type") != "null"), {})
    parts = []
    if "pattern" in spec:
        parts.append(f"`{spec['pattern']}`")
    if "minimum" in spec:
        parts.append(f">= {spec['minimum']:,}")
    if "exclusiveMinimum" in spec:
        parts.append(f"> {spec['exclusiveMinimum']:,}")
    if "maximum" in spec:
        parts.append(f"<= {spec['maximum']:,}")
    if "maxLength" in spec:
        parts.append(f"at most {spec['maxLength']} characters")
    kind = spec.get("type", "object")
    return f"{kind}" + (f"; {', '.join(parts)}" if parts else "")


def render() -> str:
    """The generated part of docs/events.md."""
    lines = [
        "| type | code | names an item | requires | meaning |",
        "|---|---|---|---|---|",
    ]
    for name, spec in EVENT_SPECS.items():
        required = ", ".join(f"`{r}`" for r in spec.required) or "-"
        item = "yes" if spec.needs_item else "no"
        lines.append(
            f"| `{name}` | {EVENT_CODES[name]} | {item} | {required} | {spec.description} |"
        )
    lines += ["", "Fields of an event:", ""]
    lines += ["| field | required | type and limits | meaning |", "|---|---|---|---|"]
    properties = EventIn.model_json_schema()["properties"]
    for name, field in EventIn.model_fields.items():
        required = "yes" if field.is_required() else "no"
        meaning = field.description or ""
        lines.append(f"| `{name}` | {required} | {_limits(properties[name])} | {meaning} |")
    return "\n".join(lines)


def _generated(text: str) -> str:
    match = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert match, f"{DOC} lacks the {START} ... {END} block"
    return match.group(1)


def test_events_doc_matches_the_vocabulary_and_limits():
    assert _generated(DOC.read_text()) == render(), (
        "docs/events.md is out of date: run `python tests/store/test_event_docs.py`"
    )


def test_every_event_type_is_in_the_doc():
    generated = _generated(DOC.read_text())
    for name in EVENT_SPECS:
        assert f"| `{name}` |" in generated


if __name__ == "__main__":
    text = DOC.read_text()
    DOC.write_text(text.replace(_generated(text), render()))
