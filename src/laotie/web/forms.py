"""Turn form fields into the API's request models, with errors that name the field."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from laotie.core.errors import InvalidInput

Model = TypeVar("Model", bound=BaseModel)
#: the most yuan one money field of a form may hold (10 million)
MAX_YUAN = Decimal(10_000_000)


def yuan_to_fen(raw: str, *, field: str) -> int:
    """A yuan amount typed by a person (at most 2 decimals) as integer fen."""
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation as exc:
        raise InvalidInput(f"{field} must be an amount in yuan, got {raw!r}", field=field) from exc
    if not amount.is_finite() or amount <= 0 or amount > MAX_YUAN:
        raise InvalidInput(
            f"{field} must be more than 0 and at most {MAX_YUAN} yuan",
            field=field,
            limit=str(MAX_YUAN),
        )
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise InvalidInput(f"{field} has more than 2 decimals (fen)", field=field, limit="0.01")
    return int(fen)


def build(model: type[Model], data: dict[str, Any]) -> Model:
    """``model`` validated from ``data``; the first problem as InvalidInput naming its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or model.__name__
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from exc
