"""A local HTTP server on 127.0.0.1 speaking the OpenAI chat-completions wire format.

It answers like a model would, building a valid episode from the delimited source it is sent,
and can be told to misbehave on the next requests: ``429``, ``500``, ``malformed`` (content
that is not JSON), ``badshape`` (a body that is not a completion), ``timeout`` (sleeps past
the client's timeout).

``behaviour`` makes it answer structured-output requests as a service's documentation says
that service does (see ``BEHAVIOURS``): which ``response_format`` types it accepts, the 400
it sends for the others, whether ``json_object`` needs the word "json" in a message, and
whether the answer comes wrapped in prose and a code fence.
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


#: name -> (accepted response_format types, json_object needs "json" in a message, prose-wrapped)
BEHAVIOURS: dict[str, tuple[set[str], bool, bool]] = {
    # OpenAI: strict json_schema; every property must be required
    "openai": ({"json_schema", "json_object"}, True, False),
    # DeepSeek: json_object only, and a message must say "json"
    "deepseek": ({"json_object"}, True, False),
    # DashScope compatible mode (most Qwen models): json_object with "json"
    "qwen": ({"json_object"}, True, False),
    "moonshot": ({"json_object"}, False, False),
    "zhipu": ({"json_object"}, False, False),
    # Ollama and vLLM constrain decoding to a json_schema
    "ollama": ({"json_schema", "json_object"}, False, False),
    "vllm": ({"json_schema", "json_object"}, False, False),
    # an older server: no response_format at all, answers in prose around a code fence
    "plain": (set(), False, True),
}


def structured_refusal(behaviour: str, body: dict[str, Any]) -> str | None:
    """The 400 message the service would send for this request's ``response_format``."""
    accepted, needs_json_word, _ = BEHAVIOURS[behaviour]
    kind = (body.get("response_format") or {}).get("type")
    if kind is None:
        return None
    if kind not in accepted:
        return f"Invalid parameter: response_format type {kind} is not supported by this model"
    said_json = any("json" in m["content"].lower() for m in body["messages"])
    if kind == "json_object" and needs_json_word and not said_json:
        return (
            "'messages' must contain the word 'json' in some form, "
            "to use 'response_format' of type 'json_object'."
        )
    if kind == "json_schema" and behaviour == "openai":
        schema = body["response_format"]["json_schema"]
        missing = _strict_gaps(schema.get("schema", {})) if schema.get("strict") else []
        if missing:
            return f"Invalid schema for response_format: 'required' is missing {missing[0]}"
    return None


def _strict_gaps(node: Any) -> list[str]:
    """Properties strict mode would reject because ``required`` does not list them."""
    gaps: list[str] = []
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            gaps += [k for k in props if k not in node.get("required", [])]
            if node.get("additionalProperties") is not False:
                gaps.append("additionalProperties: false")
        for value in node.values():
            gaps += _strict_gaps(value)
    elif isinstance(node, list):
        for value in node:
            gaps += _strict_gaps(value)
    return gaps


def _schema_name(body: dict[str, Any]) -> str | None:
    """The result's name: from ``json_schema`` or, in the weaker modes, the schema message."""
    named = (body.get("response_format") or {}).get("json_schema", {}).get("name")
    if named:
        return str(named)
    for message in body["messages"]:
        found = re.search(r"结果名称：(\w+)", message["content"])
        if message["role"] == "system" and found:
            return found.group(1)
    return None


class FakeLLM:
    """The server and what it saw; ``faults`` is consumed one per request."""

    def __init__(self, *, stall_s: float = 1.0, behaviour: str | None = None) -> None:
        self.behaviour = behaviour
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
                if fault == "429-no-wait":
                    return self._send(429, {"error": {"message": "rate"}})
                if fault == "500":
                    return self._send(500, {"error": "boom"})
                if fault == "badshape":
                    return self._send(200, {"nothing": True})
                if body.get("stream"):
                    return self._stream()
                refusal = structured_refusal(fake.behaviour, body) if fake.behaviour else None
                if refusal:
                    error = {"message": refusal, "type": "invalid_request_error"}
                    return self._send(400, {"error": {**error, "param": "response_format"}})
                if fault == "400":
                    return self._send(400, {"error": {"message": "The model `x` does not exist"}})
                user = next(m["content"] for m in body["messages"] if m["role"] == "user")
                schema = _schema_name(body)
                if schema == "probe":
                    content = json.dumps({"answer": "老铁", "number": 7}, ensure_ascii=False)
                elif fault == "malformed":
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
                if fake.behaviour and BEHAVIOURS[fake.behaviour][2]:
                    content = f"好的，下面是结果：\n```json\n{content}\n```\n希望有帮助。"
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
