"""Money is integer fen (分); never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from laotie.core.errors import InvalidInput

FEN_PER_YUAN = 100


def yuan_to_fen(value: str | int | Decimal, *, field: str = "amount") -> int:
    """Parse a yuan amount ("12.34", 12) into integer fen, rounding half up at the fen."""
    try:
        fen = (Decimal(str(value)) * FEN_PER_YUAN).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise InvalidInput(f"{field} is not a number: {value!r}", field=field) from exc
    return int(fen)


def format_fen(fen: int) -> str:
    """Format integer fen as yuan with two decimals, e.g. 1234 -> '¥12.34'."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}¥{whole:,}.{part:02d}"


def split_fen(total_fen: int, weights: list[int]) -> list[int]:
    """Split ``total_fen`` in proportion to integer ``weights`` so the parts sum exactly."""
    if not weights or sum(weights) <= 0:
        raise InvalidInput("weights must be non-empty and sum > 0", field="weights", limit="> 0")
    denominator = sum(weights)
    parts = [total_fen * w // denominator for w in weights]
    remainders = sorted(
        range(len(weights)), key=lambda i: (total_fen * weights[i]) % denominator, reverse=True
    )
    for i in remainders[: total_fen - sum(parts)]:
        parts[i] += 1
    return parts
