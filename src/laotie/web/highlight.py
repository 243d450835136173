"""Mark the evidence a trust check found inside the text it screened."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

Checks = Mapping[str, Mapping[str, Any]] | Iterable[Mapping[str, Any]]


def evidence_phrases(checks: Checks) -> list[tuple[str, str]]:
    """(phrase, why) for every piece of evidence of the flagged checks (a trust record's
    ``checks``: by name, or a list)."""
    found = []
    listed = checks.values() if isinstance(checks, Mapping) else checks
    for check in listed:
        if not check.get("flagged"):
            continue
        for evidence in check.get("evidence") or []:
            phrase = str(evidence.get("phrase") or "")
            if phrase:
                why = f"{check.get('check')}: {evidence.get('note') or ''}".rstrip(": ")
                found.append((phrase, why))
    return found


def highlight(text: str, checks: Checks) -> Markup:
    """``text`` escaped, with each evidence phrase wrapped in ``<mark title=why>``."""
    spans: list[tuple[int, int, str]] = []
    for phrase, why in evidence_phrases(checks):
        start = text.find(phrase)
        while start >= 0:
            end = start + len(phrase)
            if all(end <= s or start >= e for s, e, _ in spans):
                spans.append((start, end, why))
            start = text.find(phrase, end)
    out: list[str] = []
    at = 0
    for start, end, why in sorted(spans):
        out.append(str(escape(text[at:start])))
        out.append(f'<mark title="{escape(why)}">{escape(text[start:end])}</mark>')
        at = end
    out.append(str(escape(text[at:])))
    return Markup("".join(out))
