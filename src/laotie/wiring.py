"""The one place that builds laotie's services from settings and wires the areas together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from laotie.ads import AdsService
from laotie.commerce import (
    CommerceService,
    WechatPayConfig,
    WechatPayProvider,
    load_private_key,
    load_public_key,
)
from laotie.core.clock import Clock, ManualClock, SystemClock
from laotie.core.contracts import TrustDecision
from laotie.core.settings import Settings
from laotie.feed import DatabaseFeedStore, FeedService, load_feed_config
from laotie.insights import InsightsService, SmtpConfig
from laotie.store.db import Database
from laotie.store.eventlog import EventLog
from laotie.store.lake import Lake
from laotie.studio import (
    JobRunner,
    register_host_job,
    register_media_jobs,
    register_writer_jobs,
)
from laotie.trust import TrustPolicy, TrustService


@dataclass
class Services:
    """Everything a process needs: settings, the store, the event log and each area's service."""

    settings: Settings
    db: Database
    clock: Clock
    events: EventLog
    lake: Lake
    trust: TrustService
    ads: AdsService
    insights: InsightsService
    studio_jobs: JobRunner
    feed: FeedService
    commerce: CommerceService

    def close(self) -> None:
        """Release the database connections."""
        self.feed.close()
        self.studio_jobs.shutdown(wait=False)
        self.db.dispose()


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """Create the home, apply migrations and build every service on ``settings``."""
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.home.chmod(0o700)  # every file of the platform's state is its operator's alone
    clock = clock or SystemClock()
    db = Database(settings.resolved_database_url)
    db.migrate()
    events = EventLog(db, clock=clock, max_batch=settings.max_batch_events)
    lake = Lake(db, settings.home / "lake" / "events")
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
    )
    # a manual clock means a simulated or test run, which must be reproducible (auction
    # throttling and creative sampling draw random numbers)
    seed = 0 if isinstance(clock, ManualClock) else None
    ads = AdsService(db, settings=settings, clock=clock, random_state=seed)
    ads.attach(events)  # ad_impression/ad_click/ad_conversion events are charged on commit
    studio_jobs = JobRunner(db, workers=settings.studio_workers, clock=clock)
    register_writer_jobs(studio_jobs, settings)
    register_media_jobs(studio_jobs, settings, ads=ads)
    insights = InsightsService(
        db,
        lake,
        clock,
        tz=settings.timezone,
        smtp=SmtpConfig(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
        if settings.smtp_host
        else None,
        ad_spend=ads.aigc_share,
    )
    feed = FeedService(
        DatabaseFeedStore(db, lake, events),
        config=load_feed_config(settings.home),
        models_dir=settings.home / "models" / "feed",
        clock=clock,
        gate=trust,
        ad_filler=ads,
    )
    events.subscribe(feed.on_events)  # real-time user state and co-visitation
    wechatpay = _wechatpay(settings)
    commerce = CommerceService(
        db,
        clock=clock,
        timezone=settings.timezone,
        gift_creator_bp=settings.commerce_gift_creator_bp,
        content_creator_bp=settings.commerce_content_creator_bp,
        provider=WechatPayProvider(wechatpay) if wechatpay else None,
        wechatpay=wechatpay,
        emit=events.ingest,
        biller=ads,  # purchase-goal oCPC campaigns are billed when an order from their ad is paid
    )
    register_host_job(studio_jobs, settings, check_room=commerce.live.check_host)
    feed.attach_live(commerce.live)
    insights.attach_revenue_lines(
        commerce.revenue_by_day
    )  # revenue by line from the ledger  # the feed's live source ranks the rooms live now
    return Services(
        settings=settings,
        db=db,
        clock=clock,
        events=events,
        lake=lake,
        trust=trust,
        ads=ads,
        insights=insights,
        studio_jobs=studio_jobs,
        feed=feed,
        commerce=commerce,
    )


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
