"""The GB 45438-2025 AIGC label, defined once: notice texts and the implicit metadata label.

GB 45438-2025 (《网络安全技术 人工智能生成合成内容标识方法》) asks for two kinds of label:

* an **explicit** label people can see or hear (``EXPLICIT_NOTICE`` in a text's header,
  ``EXPLICIT_NOTICE_SHORT`` as a corner mark on an image or video frame);
* an **implicit** label in the file's metadata: a JSON object under the field name ``AIGC``
  with the seven elements below (the names are the standard's, keep their spelling)::

      {"AIGC": {"Label": "1", "ContentProducer": "...", "ProduceID": "...",
                "ReservedCode1": "", "ContentPropagator": "", "PropagateID": "",
                "ReservedCode2": ""}}

``AigcLabel`` is that object, immutable; every studio output (scripts, images, audio, MP4)
carries one. ``AIGC_NOTICES`` is the notice a client must show next to an item of each AIGC
status. Embedding a label in a container format (MP4 tags, PNG ``iTXt``, JPEG EXIF, DOCX core
properties) is the job of ``laotie.media.labels`` and the writers; this module is the model
only, so the studio that writes labels and the trust area that checks them share one text.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from laotie.core.errors import InvalidInput
from laotie.core.ids import new_id
from laotie.core.kinds import AigcStatus

#: the metadata field name the standard gives to the implicit label
METADATA_FIELD = "AIGC"
#: ``Label`` values: 1 = is AI-generated, 2 = may be AI-generated, 3 = suspected AI-generated
LABEL_GENERATED = "1"
LABEL_POSSIBLY_GENERATED = "2"
LABEL_SUSPECTED = "3"
LABEL_VALUES = (LABEL_GENERATED, LABEL_POSSIBLY_GENERATED, LABEL_SUSPECTED)
#: the item AIGC status a ``Label`` value gives, and the ``Label`` a platform writes for one
STATUS_OF_LABEL: dict[str, AigcStatus] = {
    LABEL_GENERATED: AigcStatus.CONFIRMED,
    LABEL_POSSIBLY_GENERATED: AigcStatus.DECLARED,
    LABEL_SUSPECTED: AigcStatus.SUSPECTED,
}
LABEL_OF_STATUS: dict[AigcStatus, str] = {
    AigcStatus.DECLARED: LABEL_POSSIBLY_GENERATED,
    AigcStatus.SUSPECTED: LABEL_SUSPECTED,
}
#: explicit notice placed at the start of generated text (scripts, outlines, bibles)
EXPLICIT_NOTICE = "本内容由AI生成"
#: explicit notice for a corner mark on images and video frames
EXPLICIT_NOTICE_SHORT = "AI生成"
#: the long form the standard uses in its examples ("人工智能生成")
EXPLICIT_NOTICE_FORMAL = "人工智能生成"
#: the notice spoken at the start of audio-only output
SPOKEN_NOTICE = "本内容由人工智能生成。"
#: the notice a client must show next to an item, by AIGC status
AIGC_NOTICES: dict[AigcStatus, str | None] = {
    AigcStatus.NONE: None,
    AigcStatus.CONFIRMED: EXPLICIT_NOTICE_SHORT,
    AigcStatus.DECLARED: "作者声明：内容可能由AI生成",
    AigcStatus.SUSPECTED: "疑似AI生成，请注意甄别",
}
#: the producer name laotie writes when the caller names none
DEFAULT_PRODUCER = "laotie"

FIELDS = (
    "Label",
    "ContentProducer",
    "ProduceID",
    "ReservedCode1",
    "ContentPropagator",
    "PropagateID",
    "ReservedCode2",
)


@dataclass(frozen=True)
class AigcLabel:
    """The implicit label's seven elements, named exactly as in GB 45438-2025."""

    Label: str = LABEL_GENERATED
    ContentProducer: str = DEFAULT_PRODUCER
    ProduceID: str = ""
    ReservedCode1: str = ""
    ContentPropagator: str = ""
    PropagateID: str = ""
    ReservedCode2: str = ""

    def __post_init__(self) -> None:
        if self.Label not in LABEL_VALUES:
            raise InvalidInput(
                f"AIGC Label must be one of {LABEL_VALUES}, got {self.Label!r}",
                field="AIGC.Label",
                limit=LABEL_VALUES,
            )
        for name in FIELDS:
            if not isinstance(getattr(self, name), str):
                raise InvalidInput(f"AIGC {name} must be a string", field=f"AIGC.{name}")

    def to_dict(self) -> dict[str, str]:
        """The seven elements as a plain dict (the value under the ``AIGC`` field)."""
        return asdict(self)

    def to_json(self) -> str:
        """Compact JSON ``{"AIGC": {...}}`` as it is written into file metadata."""
        return json.dumps(
            {METADATA_FIELD: self.to_dict()}, ensure_ascii=False, separators=(",", ":")
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AigcLabel:
        """A label from the elements dict, or from ``{"AIGC": {...}}``; unknown keys rejected."""
        inner = data.get(METADATA_FIELD, data) if isinstance(data, dict) else None
        if not isinstance(inner, dict):
            raise InvalidInput("AIGC label must be a JSON object", field=METADATA_FIELD)
        unknown = sorted(set(inner) - set(FIELDS))
        if unknown:
            raise InvalidInput(
                f"AIGC label has unknown elements {unknown}", field=METADATA_FIELD, limit=FIELDS
            )
        if "Label" not in inner:
            raise InvalidInput("AIGC label lacks its Label element", field="AIGC.Label")
        return cls(**{k: str(v) for k, v in inner.items()})

    @classmethod
    def from_json(cls, text: str | bytes) -> AigcLabel:
        """Parse what ``to_json`` wrote (also accepts the bare elements object)."""
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"AIGC label is not JSON: {exc}", field=METADATA_FIELD) from exc
        return cls.from_dict(data)

    @property
    def is_generated(self) -> bool:
        """True when ``Label`` states the content is AI-generated (value 1)."""
        return self.Label == LABEL_GENERATED


def new_label(
    *, producer: str = DEFAULT_PRODUCER, produce_id: str | None = None, reserved_code1: str = ""
) -> AigcLabel:
    """A fresh "is AI-generated" label; ``produce_id`` defaults to a new ULID."""
    if not producer:
        raise InvalidInput("AIGC ContentProducer must not be empty", field="producer")
    return AigcLabel(
        Label=LABEL_GENERATED,
        ContentProducer=producer,
        ProduceID=produce_id or new_id("aigc_"),
        ReservedCode1=reserved_code1,
    )


def with_propagator(label: AigcLabel, propagator: str, propagate_id: str) -> AigcLabel:
    """A copy of ``label`` with the propagation elements filled in (set by the distributor)."""
    if not propagator:
        raise InvalidInput("AIGC ContentPropagator must not be empty", field="propagator")
    return replace(label, ContentPropagator=propagator, PropagateID=propagate_id)


def explicit_header(label: AigcLabel | None = None) -> str:
    """The one-line explicit notice put at the top of generated text."""
    suffix = f"（{label.ContentProducer}，编号 {label.ProduceID}）" if label else ""
    return f"【{EXPLICIT_NOTICE}】{suffix}"


def aigc_notice(status: str) -> str | None:
    """The notice text a client must show for an item of AIGC ``status`` (None: no notice)."""
    return AIGC_NOTICES[AigcStatus(status)]
