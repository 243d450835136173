"""The Kling client against a local server that speaks Kling's documented wire format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput, ProviderError, ProviderRateLimited, ProviderTimeout
from laotie.media import probe, read_label, run_ffmpeg
from laotie.studio.providers.kling import KlingClient, kling_token

ACCESS, SECRET = "ak-test", "sk-test"


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _verify(token: str) -> dict[str, Any]:
    head, body, signature = token.split(".")
    expected = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, _unb64(signature)):
        raise ValueError("bad signature")
    header = json.loads(_unb64(head))
    claims = json.loads(_unb64(body))
    now = time.time()
    if header != {"alg": "HS256", "typ": "JWT"} or claims["iss"] != ACCESS:
        raise ValueError("bad header or issuer")
    if not claims["nbf"] <= now < claims["exp"]:
        raise ValueError("token not valid now")
    return claims


class _Kling(BaseHTTPRequestHandler):
    """Tasks advance submitted -> processing -> succeed (or failed) on each poll."""

    video: bytes = b""
    busy_answers: ClassVar[list[int]] = []
    polls: ClassVar[dict[str, list[str]]] = {}
    bodies: ClassVar[list[dict[str, Any]]] = []

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        try:
            _verify(auth.removeprefix("Bearer "))
        except (ValueError, KeyError, IndexError):
            self._send(401, {"code": 1004, "message": "token invalid", "request_id": "r"})
            return False
        return True

    def do_POST(self) -> None:
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append({"path": self.path, **body})
        if type(self).busy_answers:
            type(self).busy_answers.pop(0)
            self._send(
                429,
                {
                    "code": 1303,
                    "message": "parallel task over resource pack limit",
                    "request_id": "r1",
                },
            )
            return
        task_id = f"task{len(type(self).polls) + 1}"
        outcome = "failed" if "fail" in body.get("prompt", "") else "succeed"
        if "forever" in body.get("prompt", ""):
            outcome = "processing"
        type(self).polls[task_id] = ["submitted", "processing", outcome]
        self._send(
            200,
            {
                "code": 0,
                "message": "SUCCEED",
                "request_id": "r2",
                "data": {
                    "task_id": task_id,
                    "task_status": "submitted",
                    "created_at": 1,
                    "updated_at": 1,
                },
            },
        )

    def do_GET(self) -> None:
        if self.path.startswith("/files/"):
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.video)))
            self.end_headers()
            self.wfile.write(self.video)
            return
        if not self._authorised():
            return
        task_id = self.path.rsplit("/", 1)[-1]
        steps = type(self).polls[task_id]
        status = steps.pop(0) if len(steps) > 1 else steps[0]
        data: dict[str, Any] = {
            "task_id": task_id,
            "task_status": status,
            "task_status_msg": "risk control" if status == "failed" else "",
            "created_at": 1,
            "updated_at": 2,
        }
        if status == "succeed":
            host = self.headers["Host"]
            data["task_result"] = {
                "videos": [{"id": "v1", "url": f"http://{host}/files/v1.mp4", "duration": "1.0"}]
            }
        self._send(200, {"code": 0, "message": "SUCCEED", "request_id": "r3", "data": data})

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def kling_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    clip = tmp_path_factory.mktemp("kling") / "clip.mp4"
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:rate=10:duration=1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ],
        stage="fixture",
    )
    _Kling.video = clip.read_bytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Kling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _client(url: str, *, secret: str = SECRET, **kwargs: Any) -> tuple[KlingClient, list[float]]:
    slept: list[float] = []
    client = KlingClient(
        access_key=ACCESS,
        secret_key=secret,
        base_url=url,
        poll_interval_s=2.0,
        sleep=slept.append,
        **kwargs,
    )
    return client, slept


def test_token_claims_follow_the_documented_shape() -> None:
    claims = _verify(kling_token(ACCESS, SECRET))
    assert claims["exp"] - claims["nbf"] == 1805
    with pytest.raises(InvalidInput):
        kling_token("", SECRET)


def test_text2video_waits_with_backoff_and_downloads_a_labelled_clip(
    kling_url: str, tmp_path: Path
) -> None:
    _Kling.busy_answers = [1303, 1303]
    client, slept = _client(kling_url)
    label = new_label()
    out = client.generate(
        "text2video",
        out=tmp_path / "gen.mp4",
        label=label,
        prompt="一只猫在草地上奔跑",
        duration_s=5,
    )
    sent = _Kling.bodies[-1]
    assert sent["path"] == "/v1/videos/text2video"
    assert sent["duration"] == "5" and sent["aspect_ratio"] == "9:16"
    assert slept[:2] == [1.0, 2.0]  # two 1303 answers, exponential backoff
    assert slept[2:] == [2.0, 3.0]  # polls: submitted -> processing -> succeed
    assert probe(out).width == 160
    assert read_label(out).label == label


def test_image2video_and_avatar_send_base64_files(kling_url: str, tmp_path: Path, media) -> None:
    image = media.solid_image(tmp_path / "face.jpg", (200, 150, 120))
    sound = media.tone_wav(tmp_path / "voice.wav", seconds=2.0)
    client, _ = _client(kling_url)
    task_id = client.image2video(image, prompt="轻轻转头")
    assert base64.b64decode(_Kling.bodies[-1]["image"]) == image.read_bytes()
    assert client.wait("image2video", task_id).videos[0].url.endswith("/files/v1.mp4")
    client.avatar(image, sound, prompt="微笑讲解")
    body = _Kling.bodies[-1]
    assert body["path"] == "/v1/videos/avatar/image2video"
    assert base64.b64decode(body["sound_file"]) == sound.read_bytes()


def test_failures_become_clear_errors(kling_url: str, tmp_path: Path) -> None:
    client, _ = _client(kling_url)
    with pytest.raises(ProviderError, match="risk control"):
        client.generate("text2video", out=tmp_path / "x.mp4", prompt="please fail")
    assert not (tmp_path / "x.mp4").exists()
    _Kling.busy_answers = [1303] * 3
    busy, _ = _client(kling_url, submit_retries=2)
    with pytest.raises(ProviderRateLimited):
        busy.text2video("猫")
    wrong, _ = _client(kling_url, secret="other")
    with pytest.raises(ProviderError, match="1004"):
        wrong.text2video("猫")
    ticks = iter(range(0, 10_000, 100))
    slow, _ = _client(kling_url, wait_timeout_s=250, clock=lambda: float(next(ticks)))
    with pytest.raises(ProviderTimeout):
        slow.wait("text2video", slow.text2video("forever"))
    with pytest.raises(InvalidInput):
        client.image2video(tmp_path / "missing.png")


class _Images(BaseHTTPRequestHandler):
    png: bytes = b""
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).bodies.append(body)
        data = json.dumps(
            {"created": 1, "data": [{"b64_json": base64.b64encode(self.png).decode()}]}
        )
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())

    def log_message(self, *args: object) -> None:
        return None


def test_cover_images_come_back_badged_and_labelled(tmp_path: Path, media) -> None:
    from laotie.studio.providers.image import OpenAiImages

    _Images.png = media.solid_image(tmp_path / "src.png", (30, 160, 60), (300, 400)).read_bytes()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        images = OpenAiImages(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
        out = images.cover("红苹果特写", out=tmp_path / "cover.png", size="1024x1536")
    finally:
        server.shutdown()
        server.server_close()
    assert _Images.bodies[-1]["prompt"] == "红苹果特写"
    assert read_label(out).label is not None
    white_rows = media.white_rows(out, (0, 0, 150, 80))
    assert white_rows >= 0.05 * 300


def test_make_reaches_kling_text2video_and_image2video(kling_url: str, tmp_path: Path) -> None:
    from PIL import Image

    from laotie.studio.make.visuals import KlingSource, plan_visuals
    from laotie.studio.render.formats import VideoFormat

    client, _ = _client(kling_url)
    visuals = plan_visuals(
        ["清晨的果园，阳光穿过树叶。"],
        [KlingSource(client, aspect="9:16")],
        title="果园",
        video=VideoFormat(360, 640),
        variant=0,
        out_dir=tmp_path / "a",
        palettes=("dusk",),
    )
    assert visuals[0].source == "kling" and probe(visuals[0].path).duration_s > 0.5
    assert _Kling.bodies[-1]["path"] == "/v1/videos/text2video"
    assert _Kling.bodies[-1]["aspect_ratio"] == "9:16"
    still = tmp_path / "still.png"
    Image.new("RGB", (300, 400), (10, 200, 10)).save(still)
    animated = plan_visuals(
        ["这一句没有素材。"],
        [],
        title="果园",
        video=VideoFormat(360, 640),
        variant=0,
        out_dir=tmp_path / "b",
        palettes=("dusk",),
        kling_image=client,
    )
    assert animated[0].source == "kling-image(card)"
    assert _Kling.bodies[-1]["path"] == "/v1/videos/image2video" and _Kling.bodies[-1]["image"]
    assert probe(animated[0].path).duration_s > 0.5
