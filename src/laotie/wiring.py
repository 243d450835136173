"""The one place that builds laotie's services from settings and wires the areas together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from laotie.ads import AdsService
from laotie.catalog import CatalogService
from laotie.commerce import (
    CommerceService,
    WechatPayConfig,
    WechatPayProvider,
    load_private_key,
    load_public_key,
)
from laotie.core.clock import Clock, ManualClock, SystemClock
from laotie.core.contracts import TrustDecision
from laotie.core.live import LiveState
from laotie.core.settings import Settings
from laotie.feed import DatabaseFeedStore, FeedService, LiveSignals
from laotie.insights import InsightsService, SmtpConfig
from laotie.store.db import Database
from laotie.store.delivery import Subscription
from laotie.store.eventlog import EventLog
from laotie.store.lake import Lake
from laotie.store.live import open_live_state
from laotie.store.objects import ObjectStore, open_objects
from laotie.store.stream import RedisEventStream
from laotie.studio import (
    Dispatcher,
    JobRunner,
    LeasePolicy,
    RedisJobQueue,
    ThreadDispatcher,
    register_host_job,
    register_media_jobs,
    register_writer_jobs,
)
from laotie.trust import TrustPolicy, TrustService

#: where a process announces that trust decisions changed, so every other drops its cache
TRUST_DECISIONS_CHANNEL = "trust:decisions"


@dataclass
class Services:
    """Everything a process needs: settings, the store, the event log and each area's service."""

    settings: Settings
    db: Database
    clock: Clock
    live: LiveState
    events: EventLog
    lake: Lake
    trust: TrustService
    catalog: CatalogService
    ads: AdsService
    insights: InsightsService
    studio_jobs: JobRunner
    feed: FeedService
    commerce: CommerceService
    stream: RedisEventStream | None = None
    #: where studio outputs are kept besides the home (``LAOTIE_MEDIA_URL``); None: the home only
    media: ObjectStore | None = None

    def deliver_in_background(self) -> None:
        """Acknowledge ingests on commit; the subscribers run from the event queue's thread."""
        self.events.deliver_in_background()

    def close(self) -> None:
        """Deliver the events still queued, then release the database connections."""
        self.events.close()
        self.feed.close()
        self.studio_jobs.shutdown(wait=False)
        self.live.close()
        if self.stream is not None:
            self.stream.close()
        self.db.dispose()


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Create the home, apply migrations and build every service on ``settings``."""
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.home.chmod(0o700)  # every file of the platform's state is its operator's alone
    clock = clock or SystemClock()
    db = Database(settings.resolved_database_url)
    db.migrate()
    live = open_live_state(settings.live_state_url)  # shared by every process when on Redis
    events = EventLog(db, clock=clock, max_batch=settings.max_batch_events)
    lake = Lake(
        db, open_objects(settings.lake_url, settings, default=settings.home / "lake" / "events")
    )
    trust = TrustService(
        db,
        media_dir=settings.home / "media" / "uploads",
        media_root=settings.home,
        clock=clock,
        events=events,
        policy=TrustPolicy(
            copy_action=TrustDecision(settings.trust_copy_action),
            exact_copy_action=TrustDecision(settings.trust_exact_copy_action),
        ),
        propagator=settings.trust_propagator,
        announce=lambda: live.publish(TRUST_DECISIONS_CHANNEL, "changed"),
    )
    live.subscribe(TRUST_DECISIONS_CHANNEL, lambda _message: trust.gate.forget_decisions())
    # a manual clock means a simulated or test run, which must be reproducible (auction
    # throttling and creative sampling draw random numbers)
    catalog = CatalogService(
        db, screen=trust.screening
    )  # the door every writer of items goes through
    seed = 0 if isinstance(clock, ManualClock) else None
    ads = AdsService(db, settings=settings, clock=clock, random_state=seed, live=live)
    studio_jobs = JobRunner(
        db,
        workers=settings.studio_workers,
        clock=clock,
        dispatcher=_job_dispatcher(settings),
        policy=LeasePolicy(lease_s=settings.job_lease_s),
    )
    register_writer_jobs(studio_jobs, settings)
    media = (
        open_objects(settings.media_url, settings, default=settings.home / "media")
        if settings.media_url
        else None
    )
    register_media_jobs(studio_jobs, settings, ads=ads.accounts, catalog=catalog, media=media)
    insights = InsightsService(
        db,
        lake,
        clock,
        tz=settings.timezone,
        smtp=SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
        if settings.smtp_host
        else None,
        ad_spend=ads.reports.aigc_share,
    )
    feed = FeedService(
        DatabaseFeedStore(db, lake, events),
        config=settings.feed,
        models_dir=settings.home / "models" / "feed",
        clock=clock,
        gate=trust.gate,
        ad_filler=ads.serving,
        # a process alone keeps the feed's signals in its own state; processes sharing a live
        # state server also log them there for each other
        signals=LiveSignals(live) if settings.live_state_url else None,
    )
    stream = RedisEventStream(settings.event_stream_url) if settings.event_stream_url else None
    subscribe(events, ads=ads, feed=feed, stream=stream)
    wechatpay = _wechatpay(settings)
    commerce = CommerceService(
        db,
        door=catalog,  # a live room's item is screened like any other before it is shown
        clock=clock,
        timezone=settings.timezone,
        gift_creator_bp=settings.commerce_gift_creator_bp,
        content_creator_bp=settings.commerce_content_creator_bp,
        provider=WechatPayProvider(wechatpay) if wechatpay else None,
        wechatpay=wechatpay,
        emit=events.ingest,
        # purchase-goal oCPC campaigns are billed when an order from their ad is paid
        biller=ads.charging,
    )
    register_host_job(studio_jobs, settings, check_room=commerce.live.check_host)
    feed.served.attach_live(commerce.live)  # the feed's live source ranks the rooms live now
    insights.attach_revenue_lines(commerce.revenue_by_day)  # revenue by line from the ledger
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        live=live,
        events=events,
        lake=lake,
        trust=trust,
        catalog=catalog,
        ads=ads,
        insights=insights,
        studio_jobs=studio_jobs,
        feed=feed,
        commerce=commerce,
        stream=stream,
        media=media,
    )


def subscribe(
    events: EventLog,
    *,
    ads: AdsService,
    feed: FeedService,
    stream: RedisEventStream | None = None,
) -> None:
    """The event path: who hears of committed events. The only place subscribers are added.

    All run after the commit, off the acknowledgement: ad charging and interests (idempotent
    per (kind, impression id)), the feed's real-time user state and sources, and, where an
    event stream is configured, publishing to it (its saved cursor makes the event log the
    stream's outbox: events committed before a crash are published after the restart).
    """
    events.subscribe(Subscription("ads", ads.on_events))
    events.subscribe(Subscription("feed", feed.on_events))
    if stream is not None:
        events.subscribe(Subscription("stream", stream.publish))


def _job_dispatcher(settings: Settings) -> Dispatcher:
    """The studio jobs' dispatcher: a Redis queue where one is configured, else own threads."""
    if settings.job_queue_url:
        return RedisJobQueue(settings.job_queue_url, heartbeat_timeout_s=2 * settings.job_lease_s)
    return ThreadDispatcher(settings.studio_workers)


def _wechatpay(settings: Settings) -> WechatPayConfig | None:
    """WeChat Pay credentials from settings, or None where no merchant id is set."""
    if not settings.wechatpay_mchid:
        return None
    return WechatPayConfig(
        mchid=settings.wechatpay_mchid,
        appid=settings.wechatpay_appid,
        apiv3_key=settings.wechatpay_apiv3_key.encode(),
        merchant_serial=settings.wechatpay_merchant_serial,
        merchant_key=load_private_key(Path(settings.wechatpay_merchant_key_path)),
        platform_serial=settings.wechatpay_platform_serial,
        platform_key=load_public_key(Path(settings.wechatpay_platform_key_path)),
        notify_url=settings.wechatpay_notify_url,
        base_url=settings.wechatpay_base_url,
    )
