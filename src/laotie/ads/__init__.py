"""Ads: advertisers, campaigns, creatives, prediction, auction, pacing, ledger and reports.

Other areas use only these names. ``AdsService`` wires the pieces: ``accounts``
(``AdAccounts``), ``serving`` (``SlotFiller``, the feed's ``AdSlotFiller``), ``charging``
(``Charger``: ad events whose ``ref`` is a placement's ``impression_id`` are charged after they
commit, via ``AdsService.on_events``, subscribed in ``laotie.wiring``; ``bill_purchase`` is
commerce's ``PurchaseBiller``), ``models`` (``AdModels``) and ``reports`` (``AdReports``).
"""

from laotie.ads.accounts import AdAccounts
from laotie.ads.auction import bid_ecpm, click_price_fen, gsp
from laotie.ads.bandit import RegretCurve, ThompsonSampler, simulate_regret
from laotie.ads.charging import AD_EVENT_KINDS, Charger, ChargeSummary
from laotie.ads.filler import SlotFiller
from laotie.ads.models import AdModels
from laotie.ads.pacing import PacingController, TrafficProfile
from laotie.ads.prediction import ResponseModel, calibration_report
from laotie.ads.reports import AdReports, ads_kpis
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
    "AdAccounts",
    "AdModels",
    "AdReports",
    "AdsService",
    "AdvertiserCreate",
    "AdvertiserPublic",
    "AigcShareRow",
    "CampaignCreate",
    "CampaignPublic",
    "CampaignStatus",
    "CampaignUpdate",
    "ChargeSummary",
    "Charger",
    "CreativeCreate",
    "CreativePublic",
    "Objective",
    "PacingController",
    "ProgrammaticCreate",
    "RegretCurve",
    "ReportRow",
    "ResponseModel",
    "Schedule",
    "SlotFiller",
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
