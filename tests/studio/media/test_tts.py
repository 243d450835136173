"""Speech: text preparation, the offline espeak-ng engine, an OpenAI-compatible server."""

from __future__ import annotations

import json
import threading
import wave
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from laotie.core.errors import InvalidInput, ProviderRateLimited, ProviderResponseError
from laotie.studio.tts import (
    NARRATION_RATE,
    EspeakTts,
    OpenAiSpeech,
    split_sentences,
    synthesize_narration,
    to_pinyin,
    wav_duration_s,
)
from laotie.studio.tts.text import number_to_chinese, spoken_text


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("0", "零"),
        ("10", "十"),
        ("15", "十五"),
        ("105", "一百零五"),
        ("29.9", "二十九点九"),
        ("12345", "一万二千三百四十五"),
        ("3000000", "三百万"),
    ],
)
def test_numbers_are_read_in_chinese(number: str, spoken: str) -> None:
    assert number_to_chinese(number) == spoken


def test_pinyin_has_tone_numbers_and_plain_punctuation() -> None:
    assert to_pinyin("你好，老铁！") == "ni3 hao3 , lao3 tie3 !"
    assert spoken_text("打5折，50%的人") == "打五折，百分之五十的人"


def test_sentences_split_at_ends_and_long_ones_at_commas() -> None:
    text = "第一句。第二句很长，需要在逗号处切开，否则字幕太长！\n第三句？"
    sentences = split_sentences(text, max_chars=12)
    assert sentences[0] == "第一句。"
    assert all(len(s) <= 12 for s in sentences)
    assert "".join(sentences).replace("\n", "") == text.replace("\n", "")
    assert split_sentences("。。！") == []


def test_espeak_clip_duration_is_its_sample_count(tmp_path: Path) -> None:
    clip = EspeakTts().synthesize("今天天气很好。", out=tmp_path / "a.wav")
    with wave.open(str(clip.path)) as handle:
        assert clip.duration_s == handle.getnframes() / handle.getframerate()
    assert 0.5 < clip.duration_s < 5


def test_narration_cues_follow_the_audio(tmp_path: Path) -> None:
    narration = synthesize_narration(
        EspeakTts(), ["老铁们好。", "今天吃苹果。"], workdir=tmp_path, gap_s=0.3
    )
    first, second = narration.cues
    assert first.start_s == pytest.approx(0.15, abs=1e-3)
    assert second.start_s - first.end_s == pytest.approx(0.3, abs=1e-3)
    assert narration.duration_s == pytest.approx(wav_duration_s(narration.path), abs=1e-6)
    assert narration.duration_s == pytest.approx(second.end_s + 0.3, abs=1e-3)
    with pytest.raises(InvalidInput):
        synthesize_narration(EspeakTts(), ["  "], workdir=tmp_path)


class _SpeechServer(BaseHTTPRequestHandler):
    wav: bytes = b""
    requests: ClassVar[list[dict[str, object]]] = []
    answers: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        payload = self.wav if status == 200 else b'{"error": {"message": "nope"}}'
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def speech_server(tmp_path: Path, media) -> Iterator[str]:
    _SpeechServer.wav = media.tone_wav(tmp_path / "tone.wav", seconds=0.8, rate=22_050).read_bytes()
    _SpeechServer.requests = []
    _SpeechServer.answers = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SpeechServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_speech_wire_format_and_resampling(speech_server: str, tmp_path: Path) -> None:
    _SpeechServer.answers = [429]
    engine = OpenAiSpeech(base_url=speech_server, api_key="sk-test", model="tts-1", voice="nova")
    clip = engine.synthesize("你好", out=tmp_path / "s.wav")
    assert clip.sample_rate == NARRATION_RATE
    assert clip.duration_s == pytest.approx(0.8, abs=0.01)
    request = _SpeechServer.requests[-1]
    assert request["path"] == "/v1/audio/speech"
    assert request["auth"] == "Bearer sk-test"
    assert request["body"] == {
        "model": "tts-1",
        "input": "你好",
        "voice": "nova",
        "response_format": "wav",
        "speed": 1.0,
    }
    assert len(_SpeechServer.requests) == 2


def test_openai_speech_errors(speech_server: str, tmp_path: Path) -> None:
    engine = OpenAiSpeech(base_url=speech_server, retries=1)
    _SpeechServer.answers = [400]
    with pytest.raises(ProviderResponseError):
        engine.synthesize("你好", out=tmp_path / "a.wav")
    _SpeechServer.answers = [429, 429]
    with pytest.raises(ProviderRateLimited):
        engine.synthesize("你好", out=tmp_path / "b.wav")
    with pytest.raises(InvalidInput):
        engine.synthesize(" ", out=tmp_path / "c.wav")
