"""Studio jobs on a Redis queue: the API queues job ids, ``laotie worker --jobs`` runs them.

Built on dramatiq's Redis broker, chosen because its delivery is at-least-once by design: a
worker keeps each message it took in an acknowledgement set until the job returns, and a
worker whose heartbeat stops is declared dead and its unacknowledged messages are put back on
the queue (dramatiq docs, "RedisBroker": ``heartbeat_timeout``, ``maintenance_chance``). It is
synchronous, like the ffmpeg and model work the jobs do, and adds no server beyond Redis,
which the scale-out path runs anyway. The job's state stays in the database: a message only
carries a job id, and the row's lease decides who runs it (see ``job_dispatch``), so a
message delivered twice runs the job once and a lost message is dispatched again.
"""

from __future__ import annotations

import threading

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from laotie.core.errors import InvalidInput
from laotie.studio.job_dispatch import Execute

#: the Redis queue (list) studio job ids travel on
QUEUE = "laotie-studio-jobs"
ACTOR = "laotie_run_studio_job"
#: one dead-worker check per this many broker commands out of a million (dramatiq's unit)
MAINTENANCE_CHANCE = 50_000


class RedisJobQueue:
    """A dispatcher that sends job ids to Redis; ``consume`` runs them in a worker process."""

    local = False

    def __init__(self, url: str, *, heartbeat_timeout_s: float = 60.0) -> None:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise InvalidInput(
                f"job_queue_url must be a redis:// URL, got {url!r}", field="job_queue_url"
            )
        self.url = url
        self.broker = RedisBroker(
            url=url,
            namespace="laotie",
            middleware=[],  # no dramatiq retries or time limits: the job row's lease decides
            heartbeat_timeout=int(heartbeat_timeout_s * 1000),
            maintenance_chance=MAINTENANCE_CHANCE,
        )
        self._actor: dramatiq.Actor[[str], None] | None = None

    def start(self, execute: Execute) -> None:
        """Declare the queue and the one actor, which runs ``execute(job_id)``."""

        def run_studio_job(job_id: str) -> None:
            execute(job_id)

        self._actor = dramatiq.Actor(
            run_studio_job,
            broker=self.broker,
            actor_name=ACTOR,
            queue_name=QUEUE,
            priority=0,
            options={},
        )

    def dispatch(self, job_id: str) -> None:
        """Put the job id on the Redis queue."""
        if self._actor is None:
            raise RuntimeError("RedisJobQueue.dispatch before start")
        self._actor.send(job_id)

    def consume(self, *, threads: int, stop: threading.Event, drain_s: float = 600.0) -> None:
        """Run queued jobs on ``threads`` threads until ``stop`` is set; running jobs then get
        ``drain_s`` seconds to finish (a job cut short is requeued by its lapsed lease)."""
        worker = dramatiq.Worker(self.broker, queues={QUEUE}, worker_threads=threads)
        worker.start()
        try:
            stop.wait()
        finally:
            worker.stop(timeout=int(drain_s * 1000))

    def depth(self) -> int:
        """How many job ids wait on the queue (not counting ones being run)."""
        client = self.broker.client
        return int(client.llen(f"{self.broker.namespace}:{QUEUE}"))

    def shutdown(self, *, wait: bool) -> None:
        """Close the broker's connections."""
        self.broker.close()
