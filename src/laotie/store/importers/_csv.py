"""Streaming CSV reading: fixed-size blocks as Polars frames, so no file is ever held whole."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from laotie.core.errors import InvalidInput

#: bytes of CSV parsed per block (~100-200k rows of an interaction log)
BLOCK_BYTES = 16 * 1024 * 1024


def header(path: Path, *, delimiter: str = ",", encoding: str = "utf-8") -> list[str]:
    """The column names on the first line of ``path``."""
    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline().strip("\r\n")
    return [name.strip().strip('"') for name in first.split(delimiter)]


def stream(
    path: Path,
    *,
    types: dict[str, pa.DataType],
    names: Sequence[str] | None = None,
    delimiter: str = ",",
    encoding: str = "utf8",
    quoting: bool = True,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[pl.DataFrame]:
    """Blocks of ``path`` as frames holding only the columns of ``types`` that the file has.

    ``names`` gives the column names of a file without a header line. Values that do not
    parse as their type become null only where the type allows it; otherwise the error names
    the file.
    """
    present = list(names) if names is not None else header(path, delimiter=delimiter)
    wanted = [c for c in types if c in present]
    read_options = pacsv.ReadOptions(
        block_size=block_bytes,
        column_names=list(names) if names is not None else None,
        encoding=encoding,
    )
    parse_options = pacsv.ParseOptions(
        delimiter=delimiter,
        quote_char='"' if quoting else False,
        newlines_in_values=quoting,
    )
    convert_options = pacsv.ConvertOptions(
        include_columns=wanted,
        column_types={c: types[c] for c in wanted},
        null_values=["", "NaN", "nan", "NULL", "null"],
        strings_can_be_null=True,
    )
    try:
        reader = pacsv.open_csv(
            path,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        for batch in reader:
            if batch.num_rows:
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                yield frame
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path.name}: not in the expected format: {exc}", field="file") from exc


def count_rows(path: Path, *, has_header: bool = True) -> int:
    """Lines in ``path`` (minus the header), counted in 1 MiB reads; for progress bars."""
    lines = 0
    last = b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    return max(0, lines - (1 if has_header else 0))
