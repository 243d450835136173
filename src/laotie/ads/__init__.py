"""Ads: advertisers, campaigns, creatives, prediction, auction, pacing, ledger and reports.

Other areas use only these names. The feed calls ``AdsService.fill`` (``AdSlotFiller``); ad
events whose ``ref`` is a placement's ``impression_id`` are charged by
``AdsService.on_events`` (subscribed in ``laotie.wiring``).
"""

from laotie.ads.auction import bid_ecpm, click_price_fen, gsp
from laotie.ads.bandit import RegretCurve, ThompsonSampler, simulate_regret
from laotie.ads.charging import AD_EVENT_KINDS, ChargeSummary
from laotie.ads.pacing import PacingController, TrafficProfile
from laotie.ads.prediction import ResponseModel, calibration_report
from laotie.ads.reports import ads_kpis
from laotie.ads.schemas import (
    AdvertiserCreate,
    AdvertiserPublic,
    AigcShareRow,
    CampaignCreate,
    CampaignPublic,
    CampaignStatus,
    CampaignUpdate,
    CreativeCreate,
    CreativePublic,
    Objective,
    ProgrammaticCreate,
    ReportRow,
    Schedule,
    Targeting,
    TopUp,
)
from laotie.ads.service import AdsService

__all__ = [
    "AD_EVENT_KINDS",
    "AdsService",
    "AdvertiserCreate",
    "AdvertiserPublic",
    "AigcShareRow",
    "CampaignCreate",
    "CampaignPublic",
    "CampaignStatus",
    "CampaignUpdate",
    "ChargeSummary",
    "CreativeCreate",
    "CreativePublic",
    "Objective",
    "PacingController",
    "ProgrammaticCreate",
    "RegretCurve",
    "ReportRow",
    "ResponseModel",
    "Schedule",
    "Targeting",
    "ThompsonSampler",
    "TopUp",
    "TrafficProfile",
    "ads_kpis",
    "bid_ecpm",
    "calibration_report",
    "click_price_fen",
    "gsp",
    "simulate_regret",
]
