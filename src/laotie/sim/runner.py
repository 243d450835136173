"""The runner: drives the real services day by day with a ``ManualClock``.

Each day: publish the day's new items into the catalog (store repositories, bulk insert);
decide who opens the app (return probability from activity, satisfaction and trust); play every
session in time order — request a page from the policy, simulate the user going down it,
continue series and novels, react to ads — and ingest the session's events through
``EventLog.ingest``; then close the day: update satisfaction and trust, compact the day into the
lake, and let the policy train overnight. Same config -> identical results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np

from laotie.core.clock import MS_PER_DAY, MS_PER_MINUTE, day_label, day_start_ms, from_datetime
from laotie.feed import graded_ndcg
from laotie.sim.ad_reactions import AdReactions
from laotie.sim.behaviour import PageOutcome, simulate_page
from laotie.sim.config import SimConfig, record_config
from laotie.sim.event_buffer import EventBuffer
from laotie.sim.policies import Policy, ReferencePolicy, Served, SimView
from laotie.sim.satiation import Satiation
from laotie.sim.users import Population, generate_population, return_probability, update_daily_state
from laotie.sim.world import World, generate_world

if TYPE_CHECKING:
    from laotie.sim.paying import Paying, PayingDay

log = logging.getLogger(__name__)

#: share of sessions starting in each local hour (short-video apps peak at lunch and evening)
HOURLY_SHARE = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.5, 3.5, 3.8, 4.5,
     6.5, 6.0, 4.2, 3.8, 3.8, 4.2, 5.5, 7.5, 8.5, 8.8, 7.5, 4.0]
)  # fmt: skip
HOURLY_SHARE = HOURLY_SHARE / HOURLY_SHARE.sum()
#: seconds between one item and the next in a session (swipe, load)
GAP_MS = 800
STREAM_DAY, STREAM_SESSION = 1, 2


@dataclass
class DaySummary:
    """What the simulator itself saw on one day (ground truth, before any KPI library)."""

    day: int
    label: str
    dau: int = 0
    sessions: int = 0
    requests: int = 0
    impressions: int = 0
    valid_plays: int = 0
    long_views: int = 0
    likes: int = 0
    hates: int = 0
    watch_ms: int = 0
    ad_impressions: int = 0
    ad_clicks: int = 0
    ad_conversions: int = 0
    aigc_watch_ms: int = 0
    unlabelled_spotted: int = 0
    oracle_ndcg: float = 0.0
    mean_trust: float = 1.0
    mean_satisfaction: float = 0.0
    rejected_events: int = 0
    nightly: dict[str, Any] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        """The summary as a flat dict (derived rates included)."""
        row = {k: v for k, v in self.__dict__.items() if k != "nightly"}
        row["watch_minutes_per_dau"] = self.watch_ms / MS_PER_MINUTE / max(self.dau, 1)
        row["play_rate"] = self.valid_plays / max(self.impressions, 1)
        row["long_view_rate"] = self.long_views / max(self.impressions, 1)
        row["like_rate"] = self.likes / max(self.valid_plays, 1)
        return row


@dataclass
class UserTotals:
    """Per-user totals over a run, the unit that A/B bootstraps resample."""

    active_days: np.ndarray
    sessions: np.ndarray
    impressions: np.ndarray
    valid_plays: np.ndarray
    long_views: np.ndarray
    likes: np.ndarray
    hates: np.ndarray
    watch_ms: np.ndarray
    ad_clicks: np.ndarray

    @classmethod
    def zeros(cls, n: int) -> UserTotals:
        """All-zero totals for ``n`` users."""
        return cls(*(np.zeros(n, dtype=np.int64) for _ in range(9)))

    def as_dict(self) -> dict[str, np.ndarray]:
        """Name -> per-user array."""
        return dict(self.__dict__)


@dataclass
class RunResult:
    """A finished run: per-day summaries, per-user totals, the world and the population."""

    config: SimConfig
    days: list[DaySummary]
    totals: UserTotals
    world: World
    population: Population
    policy: str
    start_ms: int
    end_ms: int


def start_ms_of(config: SimConfig) -> int:
    """Epoch ms of local midnight of ``run.start`` in ``run.timezone``."""
    first = date.fromisoformat(config.run.start)
    midnight = datetime(first.year, first.month, first.day, tzinfo=ZoneInfo(config.run.timezone))
    return day_start_ms(from_datetime(midnight), config.run.timezone)


def build_world(config: SimConfig) -> tuple[World, Population]:
    """The world and population of a config (a pure function of the config and its seed)."""
    rng = np.random.default_rng([config.run.seed, 0])
    world = generate_world(
        config.world, days=config.run.days, start_ms=start_ms_of(config), rng=rng
    )
    population = generate_population(
        config.users,
        n_users=config.run.users,
        category_first=world.category_first,
        rng=np.random.default_rng([config.run.seed, 1]),
    )
    return world, population


PolicyFactory = Callable[[SimView, Any, SimConfig], Policy]


class Simulation:
    """One run of the simulator against a set of services (``laotie.wiring.Services``)."""

    def __init__(
        self,
        config: SimConfig,
        services: Any,
        *,
        policy_factory: PolicyFactory | None = None,
        progress: Callable[[DaySummary], None] | None = None,
        stream: int = 0,
    ) -> None:
        self.config = config
        self.services = services
        self.world, self.population = build_world(config)
        self.view = SimView(self.world, self.population, config.behaviour)
        self.satiation = Satiation(config.behaviour, self.world, self.population.n_users)
        self.start_ms = start_ms_of(config)
        self.progress = progress
        self.stream = stream
        self.totals = UserTotals.zeros(self.population.n_users)
        self._horizon_ms = self.start_ms + config.run.days * MS_PER_DAY
        self.buffer = EventBuffer(services.events)
        self.ad_reactions = AdReactions(
            config.behaviour,
            self.population,
            self.totals,
            clock=services.clock,
            horizon_ms=self._horizon_ms,
        )
        self._policy_factory = policy_factory
        self.policy: Policy | None = None
        self.paying: Paying | None = None
        self.paying_days: list[PayingDay] = []

    def _make_policy(self) -> Policy:
        run = self.config.run
        if run.policy == "feed":
            if self._policy_factory is None:
                from laotie.sim.adapters import feed_policy

                return feed_policy(self.view, self.services, self.config)
            return self._policy_factory(self.view, self.services, self.config)
        rng = np.random.default_rng([run.seed, 3])
        return ReferencePolicy(
            run.policy,
            self.view,
            lake=self.services.lake,
            rng=rng,
            ads=getattr(self.services, "ads", None) if run.ads else None,
            seed=run.seed,
        )

    def run(self) -> RunResult:
        """Simulate every day of the run; returns the summaries and per-user totals."""
        from laotie.sim.adapters import nightly_services, publish_day, seed_ads
        from laotie.sim.paying import open_paying

        run = self.config.run
        settings = getattr(self.services, "settings", None)
        if settings is not None:  # so that evaluations of the home can rebuild the truth
            record_config(settings.home, self.config)
        days: list[DaySummary] = []
        for day in range(run.days):
            day_ms = self.start_ms + day * MS_PER_DAY
            self.services.clock.set(max(self.services.clock.now_ms(), day_ms))
            publish_day(self.services, self.world, day, self.view, clock_ms=day_ms)
            if day > 0 and self.policy is not None and hasattr(self.policy, "published"):
                self.policy.published()
            if day == 0:
                if run.ads and run.ad_campaigns:
                    seed_ads(self.services, self.world, self.config, now_ms=day_ms)
                self.policy = self._make_policy()
                self.paying = open_paying(self) if run.paying else None
            before = self.totals.active_days.copy()
            summary = self._play_day(day, day_ms)
            if self.paying is not None:
                self.paying_days.append(self.paying.play_day(day, self.totals.active_days > before))
            end_ms = day_ms + MS_PER_DAY
            self.services.clock.set(max(self.services.clock.now_ms(), end_ms))
            if self.policy is not None and hasattr(self.policy, "end_of_day"):
                self.policy.end_of_day()
            self.services.lake.compact(end_ms)
            if run.train_nightly and self.policy is not None:
                summary.nightly = self.policy.nightly(now_ms=end_ms)
                summary.nightly.update(nightly_services(self.services, ads=run.ads))
            days.append(summary)
            if self.progress is not None:
                self.progress(summary)
        return RunResult(
            config=self.config,
            days=days,
            totals=self.totals,
            world=self.world,
            population=self.population,
            policy=run.policy,
            start_ms=self.start_ms,
            end_ms=self.start_ms + run.days * MS_PER_DAY,
        )

    # --- one day ---------------------------------------------------------------------------

    def _user_rng(self, stream: int, day: int, user: int, extra: int = 0) -> np.random.Generator:
        return np.random.default_rng([self.config.run.seed, self.stream, stream, day, user, extra])

    def _play_day(self, day: int, day_ms: int) -> DaySummary:
        cfg = self.config
        pop = self.population
        summary = DaySummary(day=day, label=day_label(day_ms, cfg.run.timezone))
        p_return = return_probability(cfg.users, pop)
        sessions: list[tuple[int, int, int]] = []
        for user in range(pop.n_users):
            rng = self._user_rng(STREAM_DAY, day, user)
            draws = rng.random(2)
            if draws[0] >= p_return[user]:
                continue
            mean = cfg.users.sessions_per_day[int(pop.activity[user])]
            count = 1 + int(rng.poisson(max(mean - 1.0, 0.0)))
            hours = rng.choice(24, size=count, p=HOURLY_SHARE)
            starts = np.sort(day_ms + hours * 3_600_000 + rng.integers(0, 3_600_000, count))
            sessions.extend((int(s), user, k) for k, s in enumerate(starts))
        sessions.sort()
        day_sat = np.zeros(pop.n_users)
        day_sat_n = np.zeros(pop.n_users)
        ndcgs: list[float] = []
        active = np.zeros(pop.n_users, dtype=bool)
        counters = np.zeros(pop.n_users, dtype=np.int64)
        for start, user, k in sessions:
            active[user] = True
            sat, n = self._session(day, user, k, start, summary, counters, ndcgs)
            day_sat[user] += sat
            day_sat_n[user] += n
        self._flush(summary)
        summary.dau = int(active.sum())
        summary.sessions = len(sessions)
        self.totals.active_days += active
        mean_sat = np.where(day_sat_n > 0, day_sat / np.maximum(day_sat_n, 1), 0.0)
        update_daily_state(
            cfg.users,
            pop,
            active=active,
            day_satisfaction=mean_sat,
            trust_recovery=cfg.behaviour.trust_recovery,
        )
        summary.oracle_ndcg = float(np.mean(ndcgs)) if ndcgs else 0.0
        summary.mean_trust = float(pop.trust.mean())
        summary.mean_satisfaction = float(mean_sat[active].mean()) if active.any() else 0.0
        return summary

    def _session(
        self,
        day: int,
        user: int,
        k: int,
        start: int,
        summary: DaySummary,
        counters: np.ndarray,
        ndcgs: list[float],
    ) -> tuple[float, int]:
        cfg = self.config
        behaviour = cfg.behaviour
        world, pop, view = self.world, self.population, self.view
        assert self.policy is not None
        if self.buffer.must_flush_before(user, start):
            # this user's earlier session must be in the log before the feed serves them again,
            # and ad events must reach the ads service while their placements are still held
            self._flush(summary)
        rng = self._user_rng(STREAM_SESSION, day, user, k)
        events: list[dict[str, Any]] = []
        uid = pop.user_ids[user]
        ts = start
        seen = 0
        satisfaction = 0.0
        impressions = 0

        def emit(kind: str, item: int | None, at: int, **fields: Any) -> None:
            counters[user] += 1
            event = {
                "id": f"sim-{day}-{user}-{int(counters[user])}",
                "type": kind,
                "user_id": uid,
                "ts_ms": at,
                "item_id": world.item_ids[item] if item is not None else None,
            }
            event.update({k2: v for k2, v in fields.items() if v is not None})
            events.append(event)

        def record(outcome: PageOutcome, request_id: str | None, logged: bool) -> PageOutcome:
            nonlocal ts, satisfaction, impressions
            # the run ends at its last midnight: the user stops at whatever they reach then
            ends = ts + np.cumsum(outcome.watch_ms + GAP_MS)
            reached = int(np.searchsorted(ends, self._horizon_ms))
            if reached < outcome.seen:
                outcome = _truncate(outcome, reached)
            self.satiation.saw(user, outcome.items, ts)
            durations = world.duration_ms[outcome.items]
            plays = outcome.valid_play(durations)
            longs = outcome.long_view(durations)
            for j, item in enumerate(outcome.items.tolist()):
                if not logged:
                    emit("impression", item, ts, request_id=request_id)
                watch = int(outcome.watch_ms[j])
                view.seen[user].add(item)
                if plays[j]:
                    emit("play", item, ts + 1, request_id=request_id)
                end = ts + watch
                emit("watch", item, end, watch_ms=watch, duration_ms=int(durations[j]),
                     request_id=request_id)  # fmt: skip
                for flag, name in (
                    (outcome.like, "like"),
                    (outcome.follow, "follow"),
                    (outcome.share, "share"),
                    (outcome.comment, "comment"),
                    (outcome.hate, "hate"),
                ):
                    if flag[j]:
                        emit(name, item, end)
                if outcome.spotted_unlabelled[j]:
                    pop.trust[user] *= 1.0 - behaviour.aigc_trust_hit
                    summary.unlabelled_spotted += 1
                if world.is_aigc[item]:
                    summary.aigc_watch_ms += watch
                ts = end + GAP_MS
            n = outcome.seen
            summary.impressions += n
            summary.valid_plays += int(plays.sum())
            summary.long_views += int(longs.sum())
            summary.likes += int(outcome.like.sum())
            summary.hates += int(outcome.hate.sum())
            summary.watch_ms += int(outcome.watch_ms.sum())
            t = self.totals
            t.impressions[user] += n
            t.valid_plays[user] += int(plays.sum())
            t.long_views[user] += int(longs.sum())
            t.likes[user] += int(outcome.like.sum())
            t.hates[user] += int(outcome.hate.sum())
            t.watch_ms[user] += int(outcome.watch_ms.sum())
            satisfaction += float(outcome.satisfaction.sum())
            impressions += n
            return outcome

        def binge(outcome: PageOutcome) -> bool:
            """Open next episodes/chapters after completions; False if the user left."""
            for j in np.flatnonzero(outcome.completed).tolist():
                item = int(outcome.items[j])
                chance = behaviour.continue_rate
                for _ in range(behaviour.binge_max):
                    nxt = int(world.next_item[item])
                    if nxt < 0 or not view.published[nxt] or rng.random() >= chance:
                        break
                    single = simulate_page(
                        behaviour, pop, world, user=user, items=np.array([nxt]),
                        seen_before=seen, rng=rng,
                    )  # fmt: skip
                    single = record(single, None, False)
                    if single.left or single.seen == 0 or not single.completed[0]:
                        return not single.left
                    item = nxt
                    chance *= behaviour.continue_decay
            return True

        self.totals.sessions[user] += 1
        for page in range(cfg.run.max_pages):
            if ts >= self._horizon_ms:
                break
            self.services.clock.set(max(self.services.clock.now_ms(), ts))
            served: Served = self.policy.serve(user, n=cfg.run.page_size, page=page, now_ms=ts)
            summary.requests += 1
            if len(served.items) == 0:
                break
            pool = np.union1d(view.unseen_published(user), served.items)
            served_utility = view.utilities(user, served.items)
            outcome = simulate_page(
                behaviour, pop, world, user=user, items=served.items, seen_before=seen, rng=rng,
                satiation=self.satiation.penalty(user, served.items, ts),
            )  # fmt: skip
            ndcgs.append(graded_ndcg(served_utility, view.utilities(user, pool), cfg.run.page_size))
            ad_exit = self.ad_reactions.react(served, outcome, user, rng, summary, emit, ts)
            if ad_exit is not None:
                outcome = _truncate(outcome, min(ad_exit, outcome.seen))
            outcome = record(outcome, served.request_id, served.impressions_logged)
            seen += outcome.seen
            left = ad_exit is not None or outcome.left
            if left or not binge(outcome):
                break
        if self.buffer.add(user, start, events):
            self._flush(summary)
        return satisfaction, impressions

    def _flush(self, summary: DaySummary) -> None:
        summary.rejected_events += self.buffer.flush()


def _truncate(outcome: PageOutcome, stop: int) -> PageOutcome:
    cut = slice(0, stop)
    fields = {
        name: getattr(outcome, name)[cut]
        for name in (
            "items", "positions", "engaged", "watch_ms", "completed", "like", "follow",
            "share", "comment", "hate", "spotted_unlabelled", "satisfaction",
        )
    }  # fmt: skip
    return PageOutcome(**fields, left=True)
