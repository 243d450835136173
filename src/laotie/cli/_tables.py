"""Terminal tables that stay readable at 80 columns: light borders, and no id, name or number
cut short; a table too wide for the terminal wraps at spaces, then splits by columns."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.cells import cell_len
from rich.table import Table

#: cells between two columns of a ``compact_table``
GAP = 2


def compact_table(*, title: str | None = None, caption: str | None = None) -> Table:
    """A table with a rule under its header and no outer border (two cells between columns)."""
    return Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )


def _width(texts: Sequence[str], *, whole: bool) -> int:
    """The cells a column needs: for its longest text (``whole``) or its longest word."""
    if whole:
        return max(cell_len(text) for text in texts)
    return max(cell_len(word) for text in texts for word in text.split() or [""])


def _span(columns: Sequence[Sequence[str]], *, whole: bool) -> int:
    return sum(_width(c, whole=whole) for c in columns) + GAP * (len(columns) - 1)


def _part(title: str | None, columns: Sequence[Sequence[str]], *, width: int) -> Table:
    """A table of ``columns`` (each: header, then cells; the first is the key) at most
    ``width`` cells wide where that is possible without breaking a word."""
    table = compact_table(title=title)
    whole = _span(columns, whole=True) <= width
    for i, column in enumerate(columns):
        table.add_column(
            column[0], justify="left" if i == 0 else "right", width=_width(column, whole=whole)
        )
    for row in zip(*(column[1:] for column in columns), strict=True):
        table.add_row(*row)
    return table


def fitted_tables(
    *,
    width: int,
    title: str,
    key: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
) -> list[Table]:
    """``rows`` (each: the key cell, then one cell a header) as one table, or, where that is
    wider than ``width`` terminal cells even with its cells wrapped at spaces, as parts to
    print one under another, each repeating the key column."""
    columns = [[header, *(row[i] for row in rows)] for i, header in enumerate([key, *headers])]
    keys, values = columns[0], columns[1:]
    parts: list[Table] = []
    start = 0
    while start < len(values) or not parts:
        end = start + 1
        while end < len(values) and _span([keys, *values[start : end + 1]], whole=False) <= width:
            end += 1
        shown = title if not parts else f"{title}, continued"
        parts.append(_part(shown, [keys, *values[start:end]], width=width))
        start = end
    return parts
