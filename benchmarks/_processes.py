"""Scale-out runs shared by ``laotie bench ingest|feed --processes 1,2,4``.

Each run starts a real ``laotie serve --workers N`` on loopback (N = 1: a plain ``laotie
serve``), drives it with the caller's load, and records the wall-clock rate and the CPU
seconds each serving process spent (from /proc through psutil), so a ratio to one process
can be told apart from a machine that simply had no idle core left.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from rich.console import Console
from rich.table import Table

SERVE = "from laotie.cli import main; main()"


@dataclass
class Served:
    """A running ``laotie serve``: its base URL and the supervisor process."""

    base: str
    process: psutil.Process

    def pids(self) -> list[int]:
        """The processes that serve requests: the workers, or the one server process."""
        children = [c.pid for c in self.process.children() if "spawn_main" in " ".join(_cmdline(c))]
        return children or [self.process.pid]

    def cpu_seconds(self) -> dict[int, float]:
        """User + system CPU seconds each serving process has used so far."""
        seconds = {}
        for pid in self.pids():
            times = psutil.Process(pid).cpu_times()
            seconds[pid] = times.user + times.system
        return seconds


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    home: Path, *, workers: int, ready_path: str, headers: dict[str, str]
) -> Iterator[Served]:
    """``laotie serve`` on ``home`` with ``workers`` processes, once every worker answers."""
    port = _free_port()
    env = {**os.environ, "LAOTIE_HOME": str(home), "LAOTIE_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    log_path = home / f"serve-{workers}.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        served = Served(f"http://127.0.0.1:{port}", psutil.Process(server.pid))
        try:
            deadline = time.monotonic() + 300
            while len(served.pids()) < workers or not _ready(served, ready_path, headers):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"laotie serve never got ready: {log_path.read_text()[-2000:]}"
                    )
                time.sleep(0.3)
            yield served
        finally:
            server.terminate()
            server.wait(timeout=60)


def _ready(served: Served, path: str, headers: dict[str, str]) -> bool:
    try:
        return httpx.get(served.base + path, headers=headers, timeout=120).status_code == 200
    except httpx.TransportError:
        return False


def measure(
    served: Served, load: Callable[[str], tuple[int, float]]
) -> dict[str, float | list[float]]:
    """Run ``load(base)`` -> (units done, wall seconds); the rate and per-process CPU seconds."""
    before = served.cpu_seconds()
    done, elapsed = load(served.base)
    after = served.cpu_seconds()
    per_process = [round(after[pid] - before.get(pid, 0.0), 2) for pid in sorted(after)]
    return {
        "per_s": done / elapsed,
        "cpu_s_per_process": per_process,
        "cpu_s_total": round(sum(per_process), 2),
        "units": done,
        "wall_s": round(elapsed, 2),
    }


def with_ratios(runs: dict[int, dict]) -> dict[int, dict]:
    """Each run with its rate's ratio to the one-process run (the first when 1 is absent)."""
    base = runs.get(1) or next(iter(runs.values()))
    for run in runs.values():
        run["ratio_to_one"] = round(run["per_s"] / base["per_s"], 3)
        run["per_s"] = round(run["per_s"], 1)
    return runs


def print_runs(title: str, unit: str, runs: dict[int, dict]) -> None:
    """A table of the runs: processes, rate, ratio to one process, CPU seconds per process."""
    table = Table(title=title)
    for column in ("processes", f"{unit}/s", "ratio to 1", "CPU s per process", "CPU s total"):
        table.add_column(column, justify="right")
    for count, run in runs.items():
        table.add_row(
            str(count),
            f"{run['per_s']:,.0f}",
            f"{run['ratio_to_one']:.2f}",
            ", ".join(f"{s:.1f}" for s in run["cpu_s_per_process"]),
            f"{run['cpu_s_total']:.1f}",
        )
    Console().print(table)
