"""Round trip with Studio II's real outputs: a narrated video, a labelled image, a script text.

Labelled as the studio ships them -> ``confirmed``; the same media with its metadata stripped
but the visible notice still drawn -> ``suspected``; the platform's propagation elements are
then written into the stored copy without losing the producer's elements.
"""

from __future__ import annotations

from pathlib import Path

from laotie.core.aigc import EXPLICIT_NOTICE, new_label
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.kinds import AigcStatus
from laotie.media import read_label
from laotie.store.repos import catalog
from laotie.studio.render import NarrateOptions, narrate, parse_format, script_from_text
from laotie.studio.tts import EspeakTts
from laotie.wiring import Services

from .fixtures import labelled_image, scene, strip_video, stripped_copy


def _creator(services: Services) -> None:
    with services.db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="studio", name="studio"))
        catalog.create_creator(session, creator=CreatorCreate(id="other", name="other"))


def _item(item_id: str, creator: str, **extra: object) -> ItemCreate:
    return ItemCreate(id=item_id, kind="video", creator_id=creator, title=item_id, **extra)


def test_narrated_video_round_trip(tmp_path: Path, services: Services):
    _creator(services)
    video = tmp_path / "narrated.mp4"
    picture = tmp_path / "scene.png"
    scene(720, 1280, seed=2).save(picture)
    narrate(
        script_from_text("老铁们好。今天讲一个西游记的故事。", max_chars=500),
        out=video,
        engine=EspeakTts(),
        options=NarrateOptions(
            video=parse_format("360x640"), images=(picture,), producer="laotie-studio"
        ),
    )
    assert read_label(video).label is not None
    item, screening = services.trust.screening.upload(_item("v1", "studio"), media_source=video)
    assert item.aigc_status == AigcStatus.CONFIRMED
    assert screening.label.notice == "AI生成"
    carried = read_label(Path(item.media_path)).label
    assert (carried.ContentPropagator, carried.PropagateID) == ("laotie", "v1")
    assert carried.ContentProducer == "laotie-studio"

    stripped = strip_video(video, tmp_path / "stripped.mp4")
    assert read_label(stripped).label is None
    copy, found = services.trust.screening.upload(_item("v2", "other"), media_source=stripped)
    assert copy.aigc_status == AigcStatus.SUSPECTED
    assert any("visible AI生成 notice" in e for e in found.label.evidence)
    assert found.original and found.original.item_external_id == "v1"


def test_labelled_image_and_text_round_trip(tmp_path: Path, services: Services):
    _creator(services)
    image = labelled_image(tmp_path / "cover.jpg")
    item, _ = services.trust.screening.upload(_item("i1", "studio"), media_source=image)
    assert item.aigc_status == AigcStatus.CONFIRMED
    stripped = stripped_copy(image, tmp_path / "bare.jpg")
    copy, _ = services.trust.screening.upload(_item("i2", "other"), media_source=stripped)
    assert copy.aigc_status == AigcStatus.SUSPECTED

    script = f"【{EXPLICIT_NOTICE}】第一集 花果山\n猴王出世，众猴拜服。"
    label = new_label(producer="laotie-writer").to_dict()
    text_item, _ = services.trust.screening.upload(
        _item("t1", "studio", caption=script, aigc_label=label)
    )
    assert text_item.aigc_status == AigcStatus.CONFIRMED
    assert text_item.aigc_label["ContentProducer"] == "laotie-writer"
    assert text_item.aigc_label["PropagateID"] == "t1"
    bare_text, _ = services.trust.screening.upload(_item("t2", "other", caption=script))
    assert bare_text.aigc_status == AigcStatus.SUSPECTED
