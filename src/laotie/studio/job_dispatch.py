"""How queued studio jobs reach a worker: the dispatch seam, the in-process thread pool, and
the lease keeper that renews a worker's leases and requeues jobs whose worker died.

A job's state lives in its ``studio_jobs`` row; a dispatcher only carries job ids. Running a
job takes a lease on the row (claim), which the keeper of the process running it renews; a
process that dies stops renewing, its leases lapse, and any keeper requeues those jobs (up to
``max_attempts`` claims, then the job fails as ``worker-lost``). Queued jobs whose dispatch
was lost (a broker restarted empty, a process died between commit and send) are dispatched
again after ``redispatch_s``. Claims are atomic, so a job dispatched twice still runs once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from laotie.store.db import Database
from laotie.store.repos import studio as repo

log = logging.getLogger(__name__)

Execute = Callable[[str], None]


class Dispatcher(Protocol):
    """Carries job ids from the process that queues a job to a process that runs it."""

    #: True when dispatched jobs run in this process (then it keeps leases and sweeps)
    local: bool

    def start(self, execute: Execute) -> None:
        """Get ready to dispatch; a local dispatcher runs ``execute(job_id)`` for each id."""

    def dispatch(self, job_id: str) -> None:
        """Send one job id to a worker."""

    def shutdown(self, *, wait: bool) -> None:
        """Stop; with ``wait`` jobs already running finish first."""


class ThreadDispatcher:
    """The embedded default: jobs run on a thread pool of this process."""

    local = True

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._execute: Execute | None = None

    def start(self, execute: Execute) -> None:
        """Create the pool that runs ``execute``."""
        self._execute = execute
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="studio-job")

    def dispatch(self, job_id: str) -> None:
        """Run the job on a pool thread."""
        if self._pool is None or self._execute is None:
            raise RuntimeError("ThreadDispatcher.dispatch before start")
        self._pool.submit(self._execute, job_id)

    def shutdown(self, *, wait: bool) -> None:
        """Stop the pool (queued jobs stay queued in the store)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=not wait)


@dataclass(frozen=True)
class LeasePolicy:
    """How long a claim holds a job, how often it is renewed, and when work is recovered."""

    lease_s: float = 30.0
    redispatch_s: float = 300.0
    max_attempts: int = 3

    @property
    def lease_ms(self) -> int:
        """The lease in milliseconds."""
        return int(self.lease_s * 1000)

    @property
    def redispatch_ms(self) -> int:
        """The dispatch lease of a queued job in milliseconds."""
        return int(self.redispatch_s * 1000)

    @property
    def renew_every_s(self) -> float:
        """Renew three times per lease, so one slow renewal never lets it lapse."""
        return self.lease_s / 3


def wall_ms() -> int:
    """Wall-clock milliseconds: leases measure real process liveness, never simulated time."""
    return int(time.time() * 1000)


def worker_name() -> str:
    """This process's name on the leases it takes (host and pid; a forked child differs)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LeaseKeeper:
    """A daemon thread: renews the leases this process holds and recovers orphaned jobs."""

    def __init__(
        self, db: Database, dispatcher: Dispatcher, policy: LeasePolicy, *, sweep: bool = True
    ) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.policy = policy
        self.sweep_enabled = sweep
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, job_id: str) -> None:
        """Start renewing the lease on a job this process claimed."""
        with self._lock:
            self._held.add(job_id)

    def release(self, job_id: str) -> None:
        """Stop renewing a job's lease (it finished here)."""
        with self._lock:
            self._held.discard(job_id)

    def start(self) -> None:
        """Sweep once now, then keep renewing and sweeping on a daemon thread."""
        if self.sweep_enabled:
            self.sweep()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="studio-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (held leases lapse unless their jobs finish)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def renew(self) -> None:
        """Extend every lease this process holds."""
        with self._lock:
            held = sorted(self._held)
        with self.db.session() as session:
            repo.renew_leases(
                session,
                job_ids=held,
                worker=worker_name(),
                now_ms=wall_ms(),
                lease_ms=self.policy.lease_ms,
            )

    def sweep(self) -> list[str]:
        """Requeue jobs whose worker died (failing those out of attempts) and dispatch every
        orphaned job again; returns the ids dispatched."""
        with self.db.session() as session:
            orphans = repo.requeue_orphans(
                session,
                now_ms=wall_ms(),
                redispatch_ms=self.policy.redispatch_ms,
                max_attempts=self.policy.max_attempts,
            )
        for job_id in orphans:
            self.dispatcher.dispatch(job_id)
        if orphans:
            log.info("studio jobs dispatched again after a lost worker or dispatch: %s", orphans)
        return orphans

    def _loop(self) -> None:
        last_sweep = time.monotonic()
        while not self._stop.wait(self.policy.renew_every_s):
            try:
                self.renew()
                if self.sweep_enabled and time.monotonic() - last_sweep >= self.policy.lease_s:
                    last_sweep = time.monotonic()
                    self.sweep()
            except Exception:  # a database hiccup must not end lease renewal for good
                log.exception("studio lease keeper: renewal or sweep failed; retrying")
