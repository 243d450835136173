"""The GB 45438-2025 implicit label model round-trips and rejects malformed labels."""

from __future__ import annotations

import json

import pytest

from laotie.core.aigc import FIELDS, AigcLabel, new_label, with_propagator
from laotie.core.errors import InvalidInput


def test_json_uses_the_standard_field_names() -> None:
    label = new_label(producer="laotie-studio", produce_id="P1")
    data = json.loads(label.to_json())
    assert list(data) == ["AIGC"]
    assert tuple(data["AIGC"]) == FIELDS
    assert data["AIGC"]["Label"] == "1"
    assert data["AIGC"]["ProduceID"] == "P1"


def test_round_trip_with_propagator() -> None:
    label = with_propagator(new_label(producer="A"), "laotie-feed", "item_9")
    again = AigcLabel.from_json(label.to_json())
    assert again == label
    assert again.ContentPropagator == "laotie-feed" and again.PropagateID == "item_9"
    assert again.is_generated


def test_new_label_ids_are_unique() -> None:
    assert new_label().ProduceID != new_label().ProduceID


@pytest.mark.parametrize(
    "text",
    [
        '{"AIGC": {"Label": "9"}}',
        '{"AIGC": {"Label": "1", "Extra": "x"}}',
        "not json",
        "[1]",
        '{"AIGC": {"ContentProducer": "x"}}',
    ],
)
def test_malformed_labels_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInput):
        AigcLabel.from_json(text)


def test_studio_public_face_matches_all() -> None:
    import laotie.studio as studio

    public = {n for n in vars(studio) if not n.startswith("_")} - {
        "aigc_label",
        "jobs",
        "providers",
        "writer",
    }
    assert set(studio.__all__) <= public
    assert len(set(studio.__all__)) == len(studio.__all__)
    for name in studio.__all__:
        assert getattr(studio, name) is not None
