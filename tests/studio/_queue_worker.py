"""A studio queue worker process for tests: the real services and queue consumer, plus a
``sleepy`` job kind whose steps, failures and runs (marker files) the test controls."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from laotie.core.errors import InvalidInput
from laotie.core.settings import load_settings
from laotie.studio import JobContext, RedisJobQueue
from laotie.wiring import build_services


def sleepy(ctx: JobContext, runs: Path) -> dict[str, int]:
    """Mark this run, optionally fail the first run, then report progress step by step."""
    (runs / f"{ctx.job_id}.{os.getpid()}.{time.monotonic_ns()}").touch()
    if ctx.params.get("fail_first") and len(list(runs.glob(f"{ctx.job_id}.*"))) == 1:
        raise InvalidInput("the first run of this job fails", field="fail_first")
    steps = int(ctx.params.get("steps", 5))
    for step in range(steps):
        ctx.progress(step / steps, f"step {step + 1}/{steps}")
        time.sleep(0.2)
    return {"pid": os.getpid()}


def main(home: str, runs: str) -> None:
    """Serve the queue until SIGTERM."""
    services = build_services(load_settings(home=Path(home)))
    services.studio_jobs.register("sleepy", lambda ctx: sleepy(ctx, Path(runs)))
    queue = services.studio_jobs.dispatcher
    assert isinstance(queue, RedisJobQueue)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    services.studio_jobs.serve()
    print("ready", flush=True)
    queue.consume(threads=1, stop=stop)
    services.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
