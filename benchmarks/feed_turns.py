"""Training against its bare fits, in turns, on a home ``laotie bench feed`` loaded.

This machine's speed drifts by a third within an hour, so one ``bench feed`` run per code
version compares the machine, not the code. Run this for each version in turn on the same home
(``LAOTIE_BENCH_FEED_HOME`` of an earlier run, kept with ``bench-world.json``), the version
chosen by ``PYTHONPATH``; each pass trains (``FeedService.train``) and then times the bare fits
of that training's own inputs (``feed.bare_fits``), and prints their ratio:

    PYTHONPATH=<tree>/src python benchmarks/feed_turns.py <home> [passes]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(home: Path, passes: int) -> None:
    """Print train seconds, bare-fit seconds and their ratio for ``passes`` trainings."""
    os.environ["LAOTIE_HOME"] = str(home)
    from feed import bare_fits
    from laotie.core.settings import load_settings
    from laotie.feed.sources import EaseSource
    from laotie.wiring import build_services

    described = json.loads((home / "bench-world.json").read_text())
    services = build_services(load_settings(home=home))
    for turn in range(passes):
        started = time.perf_counter()
        report = services.feed.train(now_ms=described["now_ms"], keep_inputs=True)
        train_s = time.perf_counter() - started
        sources = services.feed.served.state.bundle.sources
        als = sources["als"]
        params = ("factors", "regularization", "alpha", "iterations", "num_threads", "random_state")
        ease = sources.get("ease")
        bare = bare_fits(
            report.inputs or {},
            als_params={name: getattr(als, name) for name in params},
            ease=ease if isinstance(ease, EaseSource) else None,
        )
        total = sum(bare.values())
        print(f"pass {turn}: train {train_s:.2f} s, bare {total:.2f} s, {train_s / total:.3f}x")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2)
