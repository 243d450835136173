"""The AI host: a declared room's presenter stream is HLS made by ffmpeg, every segment carries
the GB 45438 label in its SDT and shows the visible notice, the playlist states the label, and
the room is a catalog item declared AIGC."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from laotie.core.aigc import new_label
from laotie.core.catalog import CreatorCreate
from laotie.media import render_badge, run_ffmpeg
from laotie.store.repos import catalog
from laotie.studio import HlsStream, live_playlist, playlist_label, read_segment_label
from laotie.studio.presenter.hls import Segment

SCRIPT = "家人们好，这款保温杯今天直播间特价。\n三百毫升，保温十二小时，点击下方小黄车下单。"
BASE = "/v1/commerce"


def _frame(segment: Path, *, out: Path) -> Path:
    """The segment's sixth frame as a PNG (a segment's timestamps do not start at zero)."""
    run_ffmpeg(
        ["-i", str(segment), "-vf", r"select=eq(n\,5)", "-frames:v", "1", str(out)],
        stage="test frame",
    )
    return out


def _notice_shown(frame: Path, work: Path) -> bool:
    """The badge's glyph pixels are bright and its plate dark, where the notice is drawn."""
    image = np.asarray(Image.open(frame).convert("L"), dtype=np.float32)
    height, width = image.shape
    badge = render_badge(width, height, out=work / "badge.png")
    alpha = np.asarray(Image.open(badge.path))[..., 3]
    glyph = np.asarray(Image.open(badge.path).convert("L")) > 200
    region = image[badge.y : badge.y + badge.height, badge.x : badge.x + badge.width]
    text = region[(alpha == 255) & glyph]
    plate = region[(alpha > 0) & (alpha < 255) & ~glyph]
    return bool(text.size and plate.size and text.mean() > 190 and plate.mean() < 90)


def test_ai_host_stream_is_labelled_and_shows_the_notice(
    client, services, make_headers, tmp_path: Path
) -> None:
    with services.db.session() as session:
        for creator in ("c1", "c2"):
            catalog.create_creator(session, creator=CreatorCreate(id=creator, name=creator))
    c1, c2, app = make_headers("creator", "c1"), make_headers("creator", "c2"), make_headers("app")
    room = {"id": "r-ai", "creator_id": "c1", "title": "保温杯专场", "ai_host": True}
    assert client.post(f"{BASE}/rooms", json=room, headers=c1).status_code == 201
    plain = {"id": "r-plain", "creator_id": "c1", "title": "真人直播"}
    assert client.post(f"{BASE}/rooms", json=plain, headers=c1).status_code == 201

    # the room is a catalog item of kind live, declared AIGC because it has an AI host
    with services.db.session() as session:
        item = catalog.item_public(session, catalog.get_item(session, external_id="r-ai"))
        human = catalog.get_item(session, external_id="r-plain")
    assert (item.kind, item.aigc_status, item.status) == ("live", "declared", "published")
    assert human.aigc_status == "none"

    script = {"text": SCRIPT, "size": "360x640", "segment_s": 2}
    refused = client.post(f"{BASE}/rooms/r-plain/host", json=script, headers=c1)
    assert refused.status_code == 409 and refused.json()["field"] == "ai_host"
    assert client.post(f"{BASE}/rooms/r-ai/host", json=script, headers=c2).status_code == 403
    assert client.get(f"{BASE}/rooms/r-ai/hls/live.m3u8", headers=app).status_code == 404
    queued = client.post(f"{BASE}/rooms/r-ai/host", json=script, headers=c1)
    assert queued.status_code == 202
    done = services.studio_jobs.wait(queued.json()["id"], timeout_s=180)
    assert done.status == "succeeded", done.error
    label = done.result["aigc"]
    assert done.result["segments"] >= 3

    playlist = client.get(f"{BASE}/rooms/r-ai/hls/live.m3u8", headers=app)
    assert playlist.status_code == 200
    assert playlist.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert playlist_label(playlist.text).to_dict() == label
    assert "#EXT-X-ENDLIST" not in playlist.text

    # every segment of the loop, fetched through the API, carries the label and the notice
    names = [f"seg_{i:05d}.ts" for i in range(done.result["segments"])]
    for index, name in enumerate(names):
        answer = client.get(f"{BASE}/rooms/r-ai/hls/{name}", headers=app)
        assert answer.status_code == 200 and answer.headers["content-type"] == "video/mp2t"
        segment = tmp_path / name
        segment.write_bytes(answer.content)
        found = read_segment_label(segment)
        assert found is not None and found.to_dict() == label, name
        if index in (0, len(names) // 2, len(names) - 1):
            frame = _frame(segment, out=tmp_path / f"{name}.png")
            assert _notice_shown(frame, tmp_path), f"no visible notice in {name}"
    assert client.get(f"{BASE}/rooms/r-ai/hls/../stream.json", headers=app).status_code == 404
    assert client.get(f"{BASE}/rooms/r-ai/hls/seg_09999.ts", headers=app).status_code == 404

    # an ended room's playlist ends and its catalog item is withdrawn
    assert client.post(f"{BASE}/rooms/r-ai/end", headers=c1).status_code == 200
    ended = client.get(f"{BASE}/rooms/r-ai/hls/live.m3u8", headers=app).text
    assert ended.rstrip().endswith("#EXT-X-ENDLIST")
    with services.db.session() as session:
        assert catalog.get_item(session, external_id="r-ai").status == "removed"


def test_a_segment_without_a_label_reads_as_unlabelled(tmp_path: Path) -> None:
    out = tmp_path / "plain.ts"
    run_ffmpeg(
        ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-f", "mpegts", str(out)],
        stage="test",
    )
    assert read_segment_label(out) is None


def test_live_playlist_loops_with_a_discontinuity_and_a_sliding_window() -> None:
    label = new_label()
    stream = HlsStream(
        Path("/nowhere"), tuple(Segment(f"seg_{i:05d}.ts", 2.0) for i in range(3)), label
    )
    first = live_playlist(stream, started_ms=0, now_ms=500, window=4)
    assert first.count("#EXTINF") == 1 and "#EXT-X-MEDIA-SEQUENCE:0" in first
    # 13 s in: the loop (6 s) has restarted twice; the window holds sequence 3..6
    later = live_playlist(stream, started_ms=0, now_ms=13_000, window=4)
    lines = later.splitlines()
    assert "#EXT-X-MEDIA-SEQUENCE:3" in lines and "#EXT-X-DISCONTINUITY-SEQUENCE:1" in lines
    uris = [line for line in lines if line.startswith("seg_")]
    assert uris == ["seg_00000.ts", "seg_00001.ts", "seg_00002.ts", "seg_00000.ts"]
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    assert lines.index("#EXT-X-DISCONTINUITY") == lines.index("seg_00002.ts") + 1
    assert "#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:00:12.000+00:00" in lines
    assert playlist_label(later) == label
    assert playlist_label(later.replace("X-AIGC=0x", "X-OTHER=0x")) is None
