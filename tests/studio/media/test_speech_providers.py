"""Azure speech and Volcengine speech against local servers of their wire formats; word
timings from Volcengine drive the subtitle parts; loudness normalised to -16 LUFS."""

from __future__ import annotations

import base64
import json
import math
import struct
import wave
from pathlib import Path
from xml.etree import ElementTree

import pytest

from laotie.core.errors import ProviderError, ProviderRateLimited
from laotie.studio.render.subtitles import timed_parts
from laotie.studio.tts.azure import AzureSpeech
from laotie.studio.tts.base import synthesize_narration
from laotie.studio.tts.loudness import measure_loudness, normalise_loudness
from laotie.studio.tts.volcengine import VolcengineSpeech

from ._provider_server import Seen, as_json, as_text, provider_server


def _wav_bytes(seconds: float, *, rate: int = 24_000, amplitude: int = 3000) -> bytes:
    path_frames = b"".join(
        struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 220 * i / rate)))
        for i in range(int(seconds * rate))
    )
    import io

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(path_frames)
    return buffer.getvalue()


def test_azure_sends_ssml_with_voice_and_rate_and_returns_the_wav(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route(
            "POST",
            "/cognitiveservices/v1",
            lambda _s: (200, {"Content-Type": "audio/wav"}, _wav_bytes(1.5)),
        )
        azure = AzureSpeech(
            api_key="az-key", base_url=server.base_url, voice="zh-CN-YunxiNeural", rate=1.2
        )
        clip = azure.synthesize("价格只要29.9元<便宜>", out=tmp_path / "a.wav")
    assert abs(clip.duration_s - 1.5) < 0.01 and clip.words == ()
    sent = server.seen[0]
    assert sent.headers["ocp-apim-subscription-key"] == "az-key"
    assert sent.headers["content-type"] == "application/ssml+xml"
    assert sent.headers["x-microsoft-outputformat"] == "riff-24khz-16bit-mono-pcm"
    root = ElementTree.fromstring(sent.body.decode("utf-8"))
    ns = "{http://www.w3.org/2001/10/synthesis}"
    voice = root.find(f"{ns}voice")
    assert voice is not None and voice.get("name") == "zh-CN-YunxiNeural"
    prosody = voice.find(f"{ns}prosody")
    assert prosody is not None and prosody.get("rate") == "+20%"
    assert prosody.text == "价格只要29.9元<便宜>"  # escaped on the wire, intact when parsed


def test_azure_bad_key_and_throttling(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route("POST", "/cognitiveservices/v1", lambda _s: (401, {}, b""))
        azure = AzureSpeech(api_key="wrong", base_url=server.base_url, retries=0)
        with pytest.raises(ProviderError, match=r"rejected the API key.*LAOTIE_AZURE_SPEECH_KEY"):
            azure.synthesize("你好", out=tmp_path / "a.wav")
        server.route("POST", "/cognitiveservices/v1", lambda _s: as_text(429, "Too many requests"))
        azure = AzureSpeech(api_key="k", base_url=server.base_url, retries=1)
        with pytest.raises(ProviderRateLimited):
            azure.synthesize("你好", out=tmp_path / "a.wav")


WORDS = [
    ("现价", 0.05, 0.45),
    ("只要", 0.45, 0.80),
    ("29.9元", 0.80, 1.70),
    ("原价", 1.90, 2.30),
    ("39.9元", 2.30, 3.20),
    ("今天", 3.40, 3.70),
    ("下单", 3.70, 4.00),
    ("还送", 4.00, 4.30),
    ("运费险", 4.30, 4.90),
]


def _volcengine(seen: Seen) -> tuple[int, dict[str, str], bytes]:
    if seen.headers.get("authorization") != "Bearer;volc-token":
        return as_json(
            401,
            {
                "reqid": "r",
                "code": 3001,
                "message": "authenticate request: load grant: requested grant not found",
            },
        )
    request = seen.json()["request"]
    if "敏感" in request["text"]:
        return as_json(
            200,
            {
                "reqid": request["reqid"],
                "code": 3011,
                "message": "invalid text: text contains sensitive words",
            },
        )
    if "忙" in request["text"]:
        return as_json(
            200,
            {
                "reqid": request["reqid"],
                "code": 3003,
                "message": "quota exceeded for types: concurrency",
            },
        )
    frontend = {
        "words": [
            {"word": w, "start_time": a, "end_time": b, "unit_type": "text"} for w, a, b in WORDS
        ]
    }
    return as_json(
        200,
        {
            "reqid": request["reqid"],
            "code": 3000,
            "operation": "query",
            "message": "Success",
            "sequence": -1,
            "data": base64.b64encode(_wav_bytes(5.0)).decode(),
            "addition": {"duration": "5000", "frontend": json.dumps(frontend, ensure_ascii=False)},
        },
    )


def test_volcengine_wire_format_and_word_timed_subtitles(tmp_path: Path) -> None:
    text = "现价只要29.9元，原价39.9元，今天下单还送运费险"
    with provider_server() as server:
        server.route("POST", "/api/v1/tts", _volcengine)
        engine = VolcengineSpeech(
            appid="app1",
            token="volc-token",
            voice="BV700_streaming",
            rate=1.3,
            base_url=server.base_url,
        )
        narration = synthesize_narration(engine, [text], workdir=tmp_path)
    body = server.seen[0].json()
    assert body["app"] == {"appid": "app1", "token": "access_token", "cluster": "volcano_tts"}
    assert body["audio"]["voice_type"] == "BV700_streaming" and body["audio"]["speed_ratio"] == 1.3
    assert body["request"]["text"] == text and body["request"]["with_frontend"] == 1
    cue = narration.cues[0]
    assert [w.text for w in cue.words] == [w for w, _, _ in WORDS]
    assert cue.words[0].start_s == pytest.approx(0.15 + 0.05)  # shifted by the lead-in silence
    parts = timed_parts(cue, max_chars=6)
    # rows break between words only; each part starts when its first word is spoken
    assert [rows for _, _, rows in parts] == [
        ["现价只要", "29.9元，"],
        ["原价", "39.9元，"],
        ["今天下单还送", "运费险"],
    ]
    assert [round(start, 2) for start, _, _ in parts] == [0.15, 2.05, 3.55]
    assert parts[-1][1] == pytest.approx(cue.end_s)


def test_volcengine_errors_are_clear(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route("POST", "/api/v1/tts", _volcengine)
        bad = VolcengineSpeech(appid="a", token="nope", base_url=server.base_url, retries=0)
        with pytest.raises(ProviderError, match="rejected"):
            bad.synthesize("你好", out=tmp_path / "a.wav")
        good = VolcengineSpeech(appid="a", token="volc-token", base_url=server.base_url, retries=1)
        with pytest.raises(ProviderError, match=r"refused the text.*sensitive") as refused:
            good.synthesize("这是敏感内容", out=tmp_path / "b.wav")
        assert refused.value.context["reason"] == "content-refused"
        with pytest.raises(ProviderRateLimited, match="quota"):
            good.synthesize("服务很忙", out=tmp_path / "c.wav")


#: Volcengine's busy answer: HTTP 200 with a failure code in the body
_BUSY_ANSWER = as_json(200, {"reqid": "r", "code": 3003, "message": "server busy"})


def test_volcengine_busy_answer_is_waited_out_then_retried(tmp_path: Path) -> None:
    answers = [_BUSY_ANSWER, _BUSY_ANSWER]

    def busy_twice(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        return answers.pop(0) if answers else _volcengine(seen)

    slept: list[float] = []
    with provider_server() as server:
        server.route("POST", "/api/v1/tts", busy_twice)
        engine = VolcengineSpeech(
            appid="a", token="volc-token", base_url=server.base_url, retries=2, sleep=slept.append
        )
        clip = engine.synthesize("你好", out=tmp_path / "a.wav")
        assert clip.duration_s > 0
        assert len(server.seen) == 3
    # a busy server is given time between tries, not hammered
    assert len(slept) == 2
    assert all(0 <= wait <= 8.0 for wait in slept)
    with provider_server() as server:
        server.route("POST", "/api/v1/tts", lambda _s: _BUSY_ANSWER)
        engine = VolcengineSpeech(
            appid="a", token="volc-token", base_url=server.base_url, retries=1, sleep=slept.append
        )
        with pytest.raises(ProviderRateLimited, match="3003"):
            engine.synthesize("你好", out=tmp_path / "b.wav")
        assert len(server.seen) == 2


def test_voice_is_normalised_to_minus_16_lufs(tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.wav"
    quiet.write_bytes(_wav_bytes(4.0, amplitude=900))
    before = measure_loudness(quiet)
    out = normalise_loudness(quiet, out=tmp_path / "norm.wav")
    after = measure_loudness(out)
    assert before.integrated_lufs < -24
    assert after.integrated_lufs == pytest.approx(-16.0, abs=1.0)
