"""AIGC label verification: labelled media is confirmed; stripped but visibly marked, suspected."""

from __future__ import annotations

from pathlib import Path

import pytest

from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput
from laotie.core.kinds import AigcStatus
from laotie.media import read_label
from laotie.trust import find_notice, verify
from laotie.trust.labels import write_label

from .fixtures import labelled_image, scene, strip_video, stripped_copy, video, with_badge


def _verify(path: Path, **kwargs: object) -> object:
    return verify(media_path=path, propagator="laotie", propagate_id="it1", **kwargs)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_labelled_image_is_confirmed_and_stripped_copy_suspected(tmp_path: Path, suffix: str):
    original = labelled_image(tmp_path / f"a{suffix}")
    verdict = _verify(original)
    assert verdict.status == AigcStatus.CONFIRMED
    assert verdict.notice == "AI生成"
    assert verdict.found["ContentProducer"] == "laotie-studio"
    assert verdict.label["ContentPropagator"] == "laotie"
    assert verdict.label["PropagateID"] == "it1"
    assert verdict.label["ProduceID"] == verdict.found["ProduceID"]

    stripped = stripped_copy(original, tmp_path / f"b{suffix}")
    assert read_label(stripped).label is None
    verdict = _verify(stripped)
    assert verdict.status == AigcStatus.SUSPECTED
    assert any("visible AI生成 notice" in e for e in verdict.evidence)
    assert verdict.label["Label"] == "3"


def test_plain_image_is_none_and_declared_wins_over_nothing(tmp_path: Path):
    plain = tmp_path / "plain.png"
    scene(540, 960, seed=3, caption="AI 技术 生活").save(plain)
    assert _verify(plain).status == AigcStatus.NONE
    assert _verify(plain).label is None
    declared = _verify(plain, declared=True)
    assert declared.status == AigcStatus.DECLARED
    assert declared.notice == "作者声明：内容可能由AI生成"
    assert declared.label["Label"] == "2"


def test_notice_detector_separates_badge_from_other_text(tmp_path: Path):
    for width, height in [(720, 1280), (1080, 1080), (1920, 1080)]:
        clean = scene(width, height, seed=width, caption="AI生活 技术成长")
        assert not find_notice(clean).found, (width, height)
        marked = find_notice(with_badge(clean, tmp_path))
        assert marked.found and marked.x < width // 5 and marked.y < height // 5


@pytest.mark.slow
def test_video_round_trip_confirmed_then_suspected(tmp_path: Path):
    labelled = video(tmp_path / "v.mp4", badge=True, label=True)
    verdict = _verify(labelled)
    assert verdict.status == AigcStatus.CONFIRMED
    stripped = strip_video(labelled, tmp_path / "s.mp4")
    assert read_label(stripped).label is None
    assert _verify(stripped).status == AigcStatus.SUSPECTED
    bare = video(tmp_path / "n.mp4", badge=False, label=False, seed=5)
    assert _verify(bare).status == AigcStatus.NONE


@pytest.mark.slow
def test_propagator_written_into_video_keeps_producer(tmp_path: Path):
    labelled = video(tmp_path / "v.mp4", badge=True, label=True)
    verdict = _verify(labelled)
    write_label(labelled, verdict.label)
    carried = read_label(labelled).label
    assert carried.ContentPropagator == "laotie" and carried.PropagateID == "it1"
    assert carried.ContentProducer == "laotie-studio"


def test_text_labels():
    label = new_label(producer="writer")
    confirmed = verify(
        texts=("第一集",), supplied_label=label.to_dict(), propagator="p", propagate_id="x"
    )
    assert confirmed.status == AigcStatus.CONFIRMED
    suspected = verify(texts=("【本内容由AI生成】第一集 剧本",), propagator="p", propagate_id="x")
    assert suspected.status == AigcStatus.SUSPECTED
    assert "AI生成" in suspected.evidence[0] and suspected.label["Label"] == "3"
    assert verify(texts=("第一集 剧本",), propagator="p", propagate_id="x").status == "none"
    with pytest.raises(InvalidInput) as err:
        verify(supplied_label={"Label": "9"}, propagator="p", propagate_id="x")
    assert err.value.field == "aigc_label"


def test_labels_embedded_in_exported_text_files(tmp_path: Path, services):
    import json

    import docx

    label = new_label(producer="laotie-writer")
    markdown = tmp_path / "a.md"
    markdown.write_text(
        "---\nAIGC: " + json.dumps(label.to_dict(), ensure_ascii=False) + "\ntitle: x\n---\n\n"
        "> 【本内容由AI生成】\n# 剧本\n猴王出世。",
        encoding="utf-8",
    )
    as_json = tmp_path / "a.json"
    as_json.write_text(json.dumps({"title": "x", "AIGC": label.to_dict()}), encoding="utf-8")
    document = docx.Document()
    document.add_paragraph("第一集 花果山")
    document.core_properties.comments = label.to_json()
    as_docx = tmp_path / "a.docx"
    document.save(str(as_docx))
    for path in (markdown, as_json, as_docx):
        screening = services.trust.screening.check_file(path)
        assert screening.label.status == AigcStatus.CONFIRMED, path
        assert screening.label.found["ContentProducer"] == "laotie-writer"
    broken = tmp_path / "b.md"
    broken.write_text('---\nAIGC: {"Label": "7"}\n---\n【本内容由AI生成】正文', encoding="utf-8")
    assert services.trust.screening.check_file(broken).label.status == AigcStatus.SUSPECTED
