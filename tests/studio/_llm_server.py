"""A local HTTP server on 127.0.0.1 speaking the OpenAI chat-completions wire format.

It answers like a model would, building a valid episode from the delimited source it is sent,
and can be told to misbehave on the next requests: ``429``, ``500``, ``malformed`` (content
that is not JSON), ``badshape`` (a body that is not a completion), ``timeout`` (sleeps past
the client's timeout).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def episode_answer(user: str) -> dict[str, Any]:
    """A rule-abiding episode made from the sentences between the source markers."""
    source = user.split("<<<原著>>>", 1)[-1].split("<<<原著结束>>>", 1)[0]
    pieces = [s for s in re.split(r"[。！？\n]", source) if 4 <= len(s.strip()) <= 30][:40]
    while len(pieces) < 24:
        pieces.append(f"众人面面相觑第{len(pieces)}回")
    lines = []
    for i, text in enumerate(pieces[:24]):
        if i % 2:
            lines.append({"kind": "action", "speaker": None, "text": text.strip() + "。"})
        else:
            lines.append(
                {
                    "kind": "dialogue",
                    "speaker": "甲" if i % 4 else "乙",
                    "text": text.strip() + "！",
                }
            )

    def q(line: dict[str, Any]) -> str:
        return f"{line['speaker']}：{line['text']}" if line["kind"] == "dialogue" else line["text"]

    return {
        "title": "测试一集",
        "hook": q(lines[0]),
        "conflict": q(lines[4]),
        "twist": q(lines[12]),
        "payoff": q(lines[18]),
        "end_hook": {"type": "危机升级", "text": q(lines[-1])},
        "hook_strength": 5.0,
        "scenes": [
            {"interior": "外", "time": "日", "place": "山前", "lines": lines[:12]},
            {"interior": "内", "time": "夜", "place": "洞中", "lines": lines[12:]},
        ],
    }


class FakeLLM:
    """The server and what it saw; ``faults`` is consumed one per request."""

    def __init__(self, *, stall_s: float = 1.0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.faults: list[str] = []
        self.stall_s = stall_s
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                fault = fake.faults.pop(0) if fake.faults else ""
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": "no such path"})
                if fault == "timeout":
                    time.sleep(fake.stall_s)
                    return self._send(200, {"choices": []})
                if fault == "429":
                    return self._send(429, {"error": {"message": "rate"}}, {"Retry-After": "0"})
                if fault == "500":
                    return self._send(500, {"error": "boom"})
                if fault == "badshape":
                    return self._send(200, {"nothing": True})
                if body.get("stream"):
                    return self._stream()
                user = body["messages"][1]["content"]
                schema = (body.get("response_format") or {}).get("json_schema", {}).get("name")
                if fault == "malformed":
                    content = '{"title": "半截'
                elif schema == "bible":
                    arc = [
                        {"act": a, "summary": f"{a}概要"} for a in ("开端", "发展", "高潮", "结局")
                    ]
                    content = json.dumps(
                        {"logline": "测试一句话", "world": "测试世界", "main_arc": arc},
                        ensure_ascii=False,
                    )
                elif schema == "condensed":
                    content = json.dumps(
                        {"summary": "梗概", "key_lines": [user[-60:-20]]}, ensure_ascii=False
                    )
                else:
                    content = json.dumps(episode_answer(user), ensure_ascii=False)
                self._send(
                    200,
                    {
                        "id": "cmpl-1",
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {"role": "assistant", "content": content},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": 1000,
                            "completion_tokens": 500,
                            "total_tokens": 1500,
                        },
                    },
                )

            def _stream(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for word in ("你好", "，", "老铁"):
                    chunk = {"choices": [{"index": 0, "delta": {"content": word}}]}
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                usage = {"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": 3}}
                self.wfile.write(f"data: {json.dumps(usage)}\n\ndata: [DONE]\n\n".encode())

            def _send(
                self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                raw = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        """The server's OpenAI-style base URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
