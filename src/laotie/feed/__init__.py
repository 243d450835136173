"""The feed: multi-stage recommendation (retrieval -> ranking -> re-ranking) for short videos,
micro-drama episodes, novel chapters and games.

Public face: ``FeedService`` (in-process feed, training, swaps), ``FeedConfig`` and
``LiveSignals`` (real-time signals shared by serving processes), ``graded_ndcg`` (the ranking
metric the simulator reuses), the stores, and the schemas a page is made of.
"""

from laotie.core.feedconfig import FeedConfig
from laotie.feed.live import LiveSignals
from laotie.feed.metrics import graded_ndcg
from laotie.feed.schemas import AdEntry, FeedEntry, FeedExplain, FeedPage
from laotie.feed.service import FeedService
from laotie.feed.signals import FeedData
from laotie.feed.store import DatabaseFeedStore, FeedStore, MemoryFeedStore
from laotie.feed.training import TrainReport

__all__ = [
    "AdEntry",
    "DatabaseFeedStore",
    "FeedConfig",
    "FeedData",
    "FeedEntry",
    "FeedExplain",
    "FeedPage",
    "FeedService",
    "FeedStore",
    "LiveSignals",
    "MemoryFeedStore",
    "TrainReport",
    "graded_ndcg",
]
