"""Studio jobs: a registry of job kinds and an in-process worker pool, persisted in the store.

A kind is a name, a handler ``handler(ctx) -> dict``, the roles that may submit it and ONE
validator ``validate(params, submitter) -> params``; the writer registers ``adapt`` and the
media side registers its render kinds the same way (``runner.register(...)``). Every route
that creates a kind goes through ``submit``, which checks the role and runs the kind's
validator (scope, ownership, file ids, limits) before any work is queued. Every job
is a row (status, progress, message, result, error) so the API, the CLI and other processes
see it; cancellation is cooperative (the handler's ``ctx.progress`` raises ``JobCancelled``
once a cancel was asked, from any process); a failed or cancelled job can be retried.
Jobs reach workers through a dispatcher (``job_dispatch``): by default a thread pool of this
process, or a Redis queue consumed by ``laotie worker --jobs`` processes (``job_queue``). A
running job holds a lease its process renews; a job whose worker died is requeued, not lost.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from laotie.core.clock import Clock, SystemClock
from laotie.core.errors import Conflict, InvalidInput, LaotieError, NotFound, PermissionDenied
from laotie.core.kinds import Role
from laotie.store.db import Database
from laotie.store.repos import studio as repo
from laotie.store.tables.studio import StudioJob
from laotie.studio.job_dispatch import (
    Dispatcher,
    LeaseKeeper,
    LeasePolicy,
    ThreadDispatcher,
    wall_ms,
    worker_name,
)

log = logging.getLogger(__name__)
#: the creator studio output is published under when a request names none
STUDIO_CREATOR = "laotie-studio"
TERMINAL = frozenset(repo.TERMINAL)
#: progress is written at most this often unless the message changes (seconds)
PROGRESS_WRITE_S = 0.25
#: string params longer than this are shown clipped in job views (characters)
VIEW_PARAM_CHARS = 500


@dataclass(frozen=True)
class Submitter:
    """Who submits or reads a job: an API key's role and scope, or the local process.

    ``role`` None is a trusted local process (the CLI, the simulator) that may name files on
    the server's disk; an API caller never may. Jobs are owned by ``role:scope`` of a creator
    or advertiser key, so every route that creates or reads jobs agrees on the owner; admins
    and local processes own none and see every job.
    """

    role: Role | None = None
    scope: str | None = None

    @property
    def local(self) -> bool:
        """True for a trusted local process (CLI), which may name server paths."""
        return self.role is None

    @property
    def owner(self) -> str | None:
        """The owner recorded on the caller's jobs; None for admins and local processes."""
        if self.role in (None, Role.ADMIN):
            return None
        return f"{self.role}:{self.scope}"


LOCAL = Submitter()


class JobCancelled(Exception):
    """Raised inside a handler when its job was asked to stop."""


class JobView(BaseModel):
    """A job as callers see it (API, CLI)."""

    id: str
    kind: str
    status: str
    progress: float
    message: str
    params: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    error_code: str | None
    attempts: int
    created_at_ms: int
    started_at_ms: int | None
    finished_at_ms: int | None

    @property
    def done(self) -> bool:
        """True once the job succeeded, failed or was cancelled."""
        return self.status in TERMINAL


def _clip(value: Any) -> Any:
    """``value`` with long strings shortened: a view never echoes a large input whole."""
    if isinstance(value, str) and len(value) > VIEW_PARAM_CHARS:
        return f"{value[:VIEW_PARAM_CHARS]}… ({len(value)} characters)"
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clip(v) for v in value[:100]]
    return value


def _view(job: StudioJob) -> JobView:
    return JobView(
        id=job.external_id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        message=job.message,
        params=_clip(job.params),
        result=job.result,
        error=job.error,
        error_code=job.error_code,
        attempts=job.attempts,
        created_at_ms=job.created_at_ms,
        started_at_ms=job.started_at_ms,
        finished_at_ms=job.finished_at_ms,
    )


Handler = Callable[["JobContext"], dict[str, Any]]
#: checks a submission before any work: ``validate(params, submitter) -> clean params``;
#: raises InvalidInput (bad params), PermissionDenied or NotFound (scope, ownership)
Validator = Callable[[dict[str, Any], Submitter], dict[str, Any]]
#: roles that may submit a kind unless its registration says otherwise
DEFAULT_ROLES = frozenset({Role.ADMIN, Role.CREATOR})
Params = TypeVar("Params", bound=BaseModel)


def parse_params(model: type[Params], params: dict[str, Any]) -> Params:
    """A kind's request model read from job params, for validators; the first problem is
    raised as ``InvalidInput`` naming its field."""
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from exc


@dataclass(frozen=True)
class JobKind:
    """A registered kind: its handler, its validator and the API roles that may submit it."""

    name: str
    handler: Handler
    validate: Validator | None = None
    roles: frozenset[Role] = DEFAULT_ROLES


def _tenant_key(owner: str | None, idempotency_key: str | None) -> str | None:
    """An idempotency key scoped to its owner (another tenant's same key is another job)."""
    if not idempotency_key:
        return None
    return hashlib.sha256(f"{owner or ''}\0{idempotency_key}".encode()).hexdigest()


class JobContext:
    """What a handler gets: its job id and params, progress reporting and cancellation."""

    def __init__(self, runner: JobRunner, job_id: str, params: dict[str, Any]) -> None:
        self.runner = runner
        self.job_id = job_id
        self.params = params
        self._last_write = 0.0
        self._last_message = ""

    def progress(self, fraction: float, message: str = "") -> None:
        """Record progress (0..1); raises JobCancelled when a cancel was requested."""
        now = time.monotonic()
        if message == self._last_message and now - self._last_write < PROGRESS_WRITE_S:
            return
        self._last_write, self._last_message = now, message
        with self.runner.db.session() as session:
            job = repo.update_job(
                session,
                job_id=self.job_id,
                now_ms=self.runner.clock.now_ms(),
                progress=max(0.0, min(1.0, fraction)),
                message=message[:200],
            )
            cancelled = job.cancel_requested
        if cancelled:
            raise JobCancelled(self.job_id)


class JobRunner:
    """Queues, tracks and runs registered job kinds; state lives in the ``studio_jobs`` table.

    ``dispatcher`` carries queued job ids to whoever runs them (default: a thread pool of
    ``workers`` threads here); ``policy`` sets the leases that let a dead worker's jobs be
    claimed again."""

    def __init__(
        self,
        db: Database,
        *,
        workers: int = 2,
        clock: Clock | None = None,
        dispatcher: Dispatcher | None = None,
        policy: LeasePolicy | None = None,
    ) -> None:
        self.db = db
        self.workers = workers
        self.clock = clock or SystemClock()
        self.kinds: dict[str, JobKind] = {}
        self.dispatcher: Dispatcher = dispatcher or ThreadDispatcher(workers)
        self.policy = policy or LeasePolicy()
        self.keeper = LeaseKeeper(db, self.dispatcher, self.policy)
        self._started = False
        self._keeping = False
        self._lock = threading.Lock()

    def register(
        self,
        name: str,
        handler: Handler,
        *,
        validate: Validator | None = None,
        roles: frozenset[Role] = DEFAULT_ROLES,
    ) -> None:
        """Add a job kind with its one validator; a name can be registered once.

        A kind without a validator takes submissions from local processes only, never from
        an API key: whoever adds a kind for the API writes its validator."""
        if name in self.kinds:
            raise Conflict(f"job kind {name!r} is already registered", field="kind")
        self.kinds[name] = JobKind(name, handler, validate, frozenset(roles))

    def check(self, kind: str, params: dict[str, Any], submitter: Submitter) -> dict[str, Any]:
        """The clean params of a submission, or the error that refuses it (nothing is queued)."""
        spec = self.kinds.get(kind)
        if spec is None:
            raise InvalidInput(
                f"unknown job kind {kind!r}; known: {sorted(self.kinds)}", field="kind"
            )
        if submitter.role is not None and submitter.role not in spec.roles:
            allowed = ", ".join(sorted(spec.roles))
            raise PermissionDenied(
                f"role {submitter.role} may not submit {kind} jobs; needs one of: {allowed}",
                field="role",
            )
        if spec.validate is None:
            if not submitter.local:
                raise PermissionDenied(
                    f"{kind} jobs cannot be submitted over the API", field="kind"
                )
            return dict(params)
        return spec.validate(dict(params), submitter)

    def _ensure_started(self) -> Dispatcher:
        with self._lock:
            if not self._started:
                self.dispatcher.start(self.execute)
                self._started = True
                if self.dispatcher.local:
                    self._start_keeper()
            return self.dispatcher

    def _start_keeper(self) -> None:
        if not self._keeping:
            self._keeping = True
            self.keeper.start()

    def serve(self) -> None:
        """Make this process a worker of a remote queue: keep leases and recover lost jobs
        (the queue's consumer calls ``execute`` for each job id it receives)."""
        self._ensure_started()
        with self._lock:
            self._start_keeper()

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the workers (running jobs finish when ``wait``)."""
        with self._lock:
            started, self._started = self._started, False
            keeping, self._keeping = self._keeping, False
        if started:
            self.dispatcher.shutdown(wait=wait)
        if keeping:
            self.keeper.stop()

    def submit(
        self,
        kind: str,
        params: dict[str, Any],
        *,
        submitter: Submitter = LOCAL,
        idempotency_key: str | None = None,
    ) -> JobView:
        """Check and queue a job (the same submitter and idempotency key return the same job)."""
        clean = self.check(kind, params, submitter)
        dispatcher = self._ensure_started()
        with self.db.session() as session:
            job, created = repo.create_job(
                session,
                kind=kind,
                params=clean,
                now_ms=self.clock.now_ms(),
                owner=submitter.owner,
                idempotency_key=_tenant_key(submitter.owner, idempotency_key),
                dispatch_lease_until_ms=wall_ms() + self.policy.redispatch_ms,
            )
            view = _view(job)
        if created:
            dispatcher.dispatch(view.id)
        return view

    def get(self, job_id: str, *, owner: str | None = None) -> JobView:
        """The job's current state (NotFound for another owner's job)."""
        with self.db.session() as session:
            job = repo.get_job(session, job_id=job_id)
            if owner is not None and job.owner != owner:
                raise NotFound(f"job {job_id} does not exist", field="job_id")
            return _view(job)

    def list(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        owner: str | None = None,
        limit: int = 50,
    ) -> list[JobView]:
        """Most recent jobs first, optionally of one status and one kind."""
        with self.db.session() as session:
            jobs = repo.list_jobs(session, status=status, kind=kind, owner=owner, limit=limit)
            return [_view(j) for j in jobs]

    def cancel(self, job_id: str, *, owner: str | None = None) -> JobView:
        """Cancel a queued job now, or ask a running one to stop at its next progress report."""
        self.get(job_id, owner=owner)
        now = self.clock.now_ms()
        with self.db.session() as session:
            job = repo.get_job(session, job_id=job_id)
            if job.status in TERMINAL:
                raise Conflict(f"job {job_id} already {job.status}", field="status")
            if job.status == "queued":
                repo.update_job(
                    session, job_id=job_id, now_ms=now, status="cancelled", finished_at_ms=now
                )
            repo.update_job(session, job_id=job_id, now_ms=now, cancel_requested=True)
            return _view(job)

    def retry(self, job_id: str, *, owner: str | None = None) -> JobView:
        """Queue a failed or cancelled job again with the same params."""
        self.get(job_id, owner=owner)
        dispatcher = self._ensure_started()
        with self.db.session() as session:
            job = repo.get_job(session, job_id=job_id)
            if job.status not in ("failed", "cancelled"):
                raise Conflict(
                    f"only failed or cancelled jobs can be retried, not {job.status}",
                    field="status",
                )
            repo.update_job(
                session,
                job_id=job_id,
                now_ms=self.clock.now_ms(),
                status="queued",
                progress=0.0,
                message="",
                error=None,
                error_code=None,
                result=None,
                cancel_requested=False,
                finished_at_ms=None,
                lease_until_ms=wall_ms() + self.policy.redispatch_ms,
            )
            view = _view(job)
        dispatcher.dispatch(job_id)
        return view

    def watch(
        self, job_id: str, *, poll_s: float = 0.2, timeout_s: float | None = None
    ) -> Iterator[JobView]:
        """Yield the job each time it changes, ending once it is done (or at the timeout)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        last: tuple[Any, ...] | None = None
        while True:
            view = self.get(job_id)
            key = (view.status, view.progress, view.message)
            if key != last:
                last = key
                yield view
            if view.done or (deadline is not None and time.monotonic() > deadline):
                return
            time.sleep(poll_s)

    def wait(self, job_id: str, *, timeout_s: float = 600.0) -> JobView:
        """Block until the job is done (or the timeout passes) and return it."""
        last = self.get(job_id)
        for seen in self.watch(job_id, timeout_s=timeout_s):
            last = seen
        return last

    def _finish(self, job_id: str, **changes: Any) -> None:
        now = self.clock.now_ms()
        with self.db.session() as session:
            repo.update_job(
                session,
                job_id=job_id,
                now_ms=now,
                finished_at_ms=now,
                lease_until_ms=None,
                **changes,
            )

    def execute(self, job_id: str) -> None:
        """Claim and run one job here; a job another live worker holds, or one that is done
        or cancelled, is left alone (so a job id dispatched twice runs once)."""
        name = worker_name()
        with self.db.session() as session:
            claimed = repo.claim_job(
                session,
                job_id=job_id,
                now_ms=self.clock.now_ms(),
                wall_now_ms=wall_ms(),
                worker=name,
                lease_ms=self.policy.lease_ms,
            )
            if not claimed:
                return
            job = repo.get_job(session, job_id=job_id)
            kind, params, attempts = job.kind, dict(job.params), job.attempts
        if attempts > self.policy.max_attempts:
            self._finish(
                job_id,
                status="failed",
                error=f"its workers stopped while it ran, {attempts - 1} times; not retried again",
                error_code="worker-lost",
            )
            return
        self.keeper.hold(job_id)
        try:
            self._run(job_id, kind, params)
        finally:
            self.keeper.release(job_id)

    def _run(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        spec = self.kinds.get(kind)
        if spec is None:
            self._finish(
                job_id,
                status="failed",
                error=f"no handler for kind {kind!r}",
                error_code="unknown-kind",
            )
            return
        context = JobContext(self, job_id, params)
        try:
            result = spec.handler(context)
        except JobCancelled:
            self._finish(job_id, status="cancelled", message="cancelled")
        except LaotieError as exc:
            self._finish(job_id, status="failed", error=exc.message, error_code=exc.code)
        except Exception as exc:  # a handler bug must not kill the worker thread
            log.exception("studio job %s (%s) crashed", job_id, kind)
            self._finish(
                job_id, status="failed", error=f"{type(exc).__name__}: {exc}", error_code="internal"
            )
        else:
            self._finish(job_id, status="succeeded", progress=1.0, message="done", result=result)
