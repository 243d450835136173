"""What an event must look like to enter the log: the client model, the fast batch validator
and the vocabulary rules of ``core.events``, with a per-event error for each broken rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Annotated, Any, NotRequired

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from typing_extensions import TypedDict

from laotie.core.events import (
    EVENT_SPECS,
    MAX_AMOUNT_FEN,
    MAX_DURATION_MS,
    MAX_WATCH_MS,
    RATE_MAX,
    RATE_MIN,
)

#: earliest and latest event timestamps accepted (1990-01-01 .. 2100-01-01 UTC), in ms;
#: public datasets reach back to the 1990s (MovieLens ratings start in 1995)
MIN_TS_MS, MAX_TS_MS = 631_152_000_000, 4_102_444_800_000
_ID = r"^[A-Za-z0-9_.:\-]{1,128}$"


class EventIn(BaseModel):
    """One event as a client sends it; ``id`` is the client event id that makes it idempotent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID, description="client event id, unique per event")
    type: str = Field(description="event type from the vocabulary")
    user_id: str = Field(pattern=_ID, description="external user id; new users are created")
    item_id: str | None = Field(
        default=None, pattern=_ID, description="external item id; the item must exist"
    )
    ts_ms: int = Field(ge=MIN_TS_MS, le=MAX_TS_MS, description="when it happened, epoch ms UTC")
    watch_ms: int | None = Field(
        default=None, ge=0, le=MAX_WATCH_MS, description="time watched, ms (watch)"
    )
    duration_ms: int | None = Field(
        default=None, gt=0, le=MAX_DURATION_MS, description="the item's length, ms (watch)"
    )
    value: float | None = Field(
        default=None, allow_inf_nan=False, description="rating 0..10 (rate) or a type's number"
    )
    amount_fen: int | None = Field(
        default=None, ge=0, le=MAX_AMOUNT_FEN, description="money in fen (purchase)"
    )
    ref: str | None = Field(
        default=None, max_length=128, description="related id, e.g. the ad impression"
    )
    request_id: str | None = Field(
        default=None, max_length=64, description="the feed request that showed the item"
    )
    device_id: str | None = Field(default=None, max_length=128, description="client device")
    extra: dict[str, Any] | None = Field(default=None, description="free-form JSON object")

    @model_validator(mode="after")
    def _fits_vocabulary(self) -> EventIn:
        spec = EVENT_SPECS.get(self.type)
        if spec is None:
            raise ValueError(
                f"type: unknown event type {self.type!r}; known: {sorted(EVENT_SPECS)}"
            )
        if spec.needs_item and self.item_id is None:
            raise ValueError(f"item_id: a {self.type} event must name an item")
        for name in spec.required:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: a {self.type} event requires {name}")
        if self.type == "rate" and not RATE_MIN <= (self.value or 0.0) <= RATE_MAX:
            raise ValueError(f"value: a rating must be within {RATE_MIN}..{RATE_MAX}")
        return self


_Id = Annotated[str, Field(pattern=_ID)]


class RawEvent(TypedDict):
    """The same fields and limits as ``EventIn``, validated into plain dicts (no model objects).

    Ingest uses this for speed; every optional field defaults to None so a validated event has
    all 13 keys. The vocabulary rules of ``EventIn._fits_vocabulary`` are then applied by
    ``vocabulary_error``; ``tests/store/test_ingest_validation.py`` keeps the two in step.
    """

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    id: _Id
    type: str
    user_id: _Id
    item_id: NotRequired[Annotated[_Id | None, Field(default=None)]]
    ts_ms: Annotated[int, Field(ge=MIN_TS_MS, le=MAX_TS_MS)]
    watch_ms: NotRequired[Annotated[int | None, Field(default=None, ge=0, le=MAX_WATCH_MS)]]
    duration_ms: NotRequired[Annotated[int | None, Field(default=None, gt=0, le=MAX_DURATION_MS)]]
    value: NotRequired[Annotated[float | None, Field(default=None, allow_inf_nan=False)]]
    amount_fen: NotRequired[Annotated[int | None, Field(default=None, ge=0, le=MAX_AMOUNT_FEN)]]
    ref: NotRequired[Annotated[str | None, Field(default=None, max_length=128)]]
    request_id: NotRequired[Annotated[str | None, Field(default=None, max_length=64)]]
    device_id: NotRequired[Annotated[str | None, Field(default=None, max_length=128)]]
    extra: NotRequired[Annotated[dict[str, Any] | None, Field(default=None)]]


_BATCH: TypeAdapter[Any] = TypeAdapter(list[RawEvent])


def bounded_adapters(max_batch: int) -> tuple[TypeAdapter[Any], TypeAdapter[Any]]:
    """Adapters for a JSON array of events and ``{"events": [...]}``, at most ``max_batch``
    events: a longer array is refused as too long instead of building an error per item."""
    events = Annotated[list[RawEvent], Field(max_length=max_batch)]

    class Wrapped(TypedDict):
        events: events  # type: ignore[valid-type]

    return TypeAdapter(events), TypeAdapter(Wrapped)


#: per event type: (must name an item, the fields it requires)
_RULES = {name: (spec.needs_item, spec.required) for name, spec in EVENT_SPECS.items()}


#: types whose only rule is naming an item (no required fields, no value range)
PLAIN_TYPES = frozenset(
    name for name, spec in EVENT_SPECS.items() if spec.needs_item and not spec.required
) - {"rate"}


def vocabulary_error(event: dict[str, Any]) -> tuple[str, str] | None:
    """(field, message) when ``event`` breaks the vocabulary rules, else None."""
    kind = event["type"]
    rule = _RULES.get(kind)
    if rule is None:
        return "type", f"unknown event type {kind!r}; known: {sorted(EVENT_SPECS)}"
    needs_item, required = rule
    if needs_item and event["item_id"] is None:
        return "item_id", f"a {kind} event must name an item"
    for name in required:
        if event[name] is None:
            return name, f"a {kind} event requires {name}"
    if kind == "rate" and not RATE_MIN <= event["value"] <= RATE_MAX:
        return "value", f"a rating must be within {RATE_MIN}..{RATE_MAX}"
    return None


@dataclass
class EventError:
    """Why one event of a batch was rejected."""

    index: int
    id: str | None
    field: str
    message: str


def error_field(error: Any) -> tuple[str, str]:
    message = str(error.get("msg", "invalid"))
    loc = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
        name, _, rest = message.partition(": ")
        return name, rest or message
    return (".".join(loc) or "event"), message


def raw_id(raw: Sequence[Any], index: int) -> str | None:
    item = raw[index] if 0 <= index < len(raw) else None
    ident = item.get("id") if isinstance(item, dict) else None
    return ident if isinstance(ident, str) else None


def validate_batch(raw: Sequence[Any]) -> tuple[list[tuple[int, dict[str, Any]]], list[EventError]]:
    """Split a raw batch into valid events (dicts, with their batch index) and errors."""
    bad: dict[int, EventError] = {}
    try:
        checked = list(enumerate(_BATCH.validate_python(raw)))
    except ValidationError as exc:
        for error in exc.errors():
            index = error["loc"][0] if error["loc"] else 0
            if not isinstance(index, int) or index in bad:
                continue
            name, message = error_field({**error, "loc": error["loc"][1:]})
            bad[index] = EventError(index, raw_id(raw, index), name, message)
        keep = [i for i in range(len(raw)) if i not in bad]
        checked = list(zip(keep, _BATCH.validate_python([raw[i] for i in keep]), strict=True))
    return check_vocabulary(checked, bad)


def check_vocabulary(
    checked: list[tuple[int, dict[str, Any]]], bad: dict[int, EventError]
) -> tuple[list[tuple[int, dict[str, Any]]], list[EventError]]:
    """Apply the vocabulary rules to field-valid events; the valid ones in batch order."""
    plain = PLAIN_TYPES
    # fast path: types that only need an item, and have one (most of the log)
    valid = [(i, e) for i, e in checked if e["type"] in plain and e["item_id"] is not None]
    if len(valid) < len(checked):
        for index, event in checked:
            if event["type"] in plain and event["item_id"] is not None:
                continue
            problem = vocabulary_error(event)
            if problem is None:
                valid.append((index, event))
            else:
                bad[index] = EventError(index, event["id"], *problem)
        valid.sort(key=itemgetter(0))  # batch order, which the log keeps
    return valid, sorted(bad.values(), key=lambda e: e.index)
