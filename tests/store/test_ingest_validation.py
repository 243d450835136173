"""The fast ingest validator agrees with the ``EventIn`` model on every event, good or bad."""

import pytest
from pydantic import ValidationError

from laotie.core.events import EVENT_SPECS
from laotie.store.db import Database
from laotie.store.eventlog import EventLog
from laotie.store.eventschema import EventIn

T0 = 1_795_900_000_000
BASE = {"id": "e1", "type": "watch", "user_id": "u1", "item_id": "i1", "ts_ms": T0}
CASES = [
    BASE | {"watch_ms": 1_000, "duration_ms": 2_000},
    BASE | {"watch_ms": 1_000},
    BASE | {"watch_ms": -1, "duration_ms": 2_000},
    BASE | {"watch_ms": 24 * 3600 * 1000 + 1, "duration_ms": 2_000},
    BASE | {"watch_ms": 1_000, "duration_ms": 0},
    BASE | {"type": "teleport"},
    BASE | {"type": "like", "item_id": None},
    BASE | {"type": "like", "id": "bad id with spaces"},
    BASE | {"type": "like", "user_id": ""},
    BASE | {"type": "like", "ts_ms": 0},
    BASE | {"type": "like", "ts_ms": "soon"},
    BASE | {"type": "like", "colour": "red"},
    BASE | {"type": "like", "ref": "r" * 129},
    BASE | {"type": "rate", "value": 4.5},
    BASE | {"type": "rate", "value": 11.0},
    BASE | {"type": "rate"},
    BASE | {"type": "rate", "value": float("nan")},
    {"id": "p1", "type": "purchase", "user_id": "u1", "ts_ms": T0, "amount_fen": 990},
    {"id": "p2", "type": "purchase", "user_id": "u1", "ts_ms": T0, "amount_fen": -1},
    {"id": "p3", "type": "purchase", "user_id": "u1", "ts_ms": T0},
    {"id": "a1", "type": "ad_click", "user_id": "u1", "ts_ms": T0, "ref": "imp-1"},
    BASE | {"type": "comment", "extra": {"text": "好看"}},
    {"type": "like"},
]


def _model_verdict(event: dict) -> str | None:
    try:
        EventIn.model_validate(event)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "value_error":
            return message.partition(": ")[0]
        return ".".join(str(p) for p in error["loc"]) or "event"
    return None


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    return EventLog(Database(f"sqlite:///{tmp_path_factory.mktemp('db') / 'x.db'}"))


@pytest.mark.parametrize("event", CASES, ids=range(len(CASES)))
def test_fast_validator_and_model_agree(log, event):
    valid, errors = log.validate([event])
    expected = _model_verdict(event)
    if expected is None:
        assert [e for _, e in valid] == [{**dict.fromkeys(EventIn.model_fields), **event}]
        assert errors == []
    else:
        assert valid == []
        assert [e.field for e in errors] == [expected]


def test_every_event_type_is_known_to_both(log):
    for name, spec in EVENT_SPECS.items():
        event = {"id": f"x-{name}", "type": name, "user_id": "u", "ts_ms": T0, "item_id": "i"}
        event |= {field: 1 for field in spec.required}
        assert _model_verdict(event) is None
        assert log.validate([event])[1] == []
