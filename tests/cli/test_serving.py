"""What a newcomer meets when a server starts: its URL line, an access log, the wall clock,
and the quickstart's requests working against the demo as written."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from laotie.cli import app, demo
from laotie.cli._serving import url_line
from laotie.core.settings import load_settings
from laotie.wiring import Services, build_services

LAOTIE = str(Path(sys.executable).with_name("laotie"))
QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ms_of(request_id: str) -> int:
    """The millisecond timestamp in the first 10 characters of a (prefixed) ULID."""
    ms = 0
    for char in request_id.rsplit("_", 1)[-1][:10]:
        ms = ms * 32 + _CROCKFORD.index(char)
    return ms


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A ``laotie`` subprocess whose output lines are collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [LAOTIE, *args],
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1", "COLUMNS": "100"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, *, timeout_s: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output)
            if found:
                return found
            assert self.process.poll() is None, self.output[-3000:]
            time.sleep(0.2)
        raise AssertionError(f"no {pattern!r} within {timeout_s} s:\n{self.output[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=10)


def _clean_env(monkeypatch: pytest.MonkeyPatch, home: Path, port: int) -> dict[str, str]:
    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    return {"LAOTIE_HOME": str(home), "LAOTIE_PORT": str(port), "LAOTIE_LOG_LEVEL": "INFO"}


def test_serve_prints_its_url_then_one_access_log_line_a_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    build_services(load_settings(home=home)).close()
    port = _free_port()
    env = _clean_env(monkeypatch, home, port)
    server = Process(["serve", "--host", "127.0.0.1"], env)
    try:
        server.wait_for(re.escape(url_line("127.0.0.1", port)), timeout_s=60)
        server.wait_for("Application startup complete", timeout_s=30)
        assert httpx.get(f"http://127.0.0.1:{port}/v1/health?probe=1").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/v1/nowhere").status_code == 404
        server.wait_for(r'\d\d:\d\d:\d\d .*"GET /v1/health\?probe=1 HTTP/1.1" 200', timeout_s=10)
        server.wait_for(r'"GET /v1/nowhere HTTP/1.1" 404', timeout_s=10)
    finally:
        server.stop()


def test_the_demo_serves_on_the_wall_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    served: list[Services] = []
    monkeypatch.setattr(demo, "serve_api", lambda svc, **_: served.append(svc))
    home = tmp_path / "home"
    args = ["--home", str(home), "demo", "--users", "10", "--items", "30", "--days", "2"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (svc,) = served
    try:
        before = time.time_ns() // 1_000_000
        page = svc.feed.feed("sim-u000001", n=3)
        after = time.time_ns() // 1_000_000
        assert before <= svc.clock.now_ms() and before <= _ms_of(page.request_id) <= after
    finally:
        svc.close()


def _quickstart_block() -> str:
    text = QUICKSTART.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    (tried,) = [b for b in blocks if "KEY=lt_" in b]
    return tried


@pytest.mark.slow
def test_the_quickstarts_requests_work_against_the_demo_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _free_port()
    env = _clean_env(monkeypatch, tmp_path / "home", port)
    demo_process = Process(["demo", "--users", "40", "--items", "120", "--days", "3"], env)
    try:
        key = demo_process.wait_for(r"admin key: (lt_\S+)", timeout_s=300).group(1)
        demo_process.wait_for(re.escape(url_line("127.0.0.1", port)), timeout_s=120)
        demo_process.wait_for("Application startup complete", timeout_s=60)
        script = _quickstart_block()
        script = re.sub(r"^KEY=lt_\.\.\..*$", f"KEY={key}", script, flags=re.M)
        script = script.replace("localhost:8000", f"127.0.0.1:{port}")
        started = time.time_ns() // 1_000_000
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 0, ran.stderr + ran.stdout
        assert '"status":"ok"' in ran.stdout and '"sim-v' in ran.stdout
        assert '"accepted":1' in ran.stdout and '"rejected":0' in ran.stdout
        request_id = re.search(r'"request_id":"(req_\w+)"', ran.stdout)
        assert request_id is not None and _ms_of(request_id.group(1)) >= started
        demo_process.wait_for(r'"POST /v1/events HTTP/1.1" 200', timeout_s=10)
    finally:
        demo_process.stop()
