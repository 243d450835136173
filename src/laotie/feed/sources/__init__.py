"""Retrieval sources by name; each implements ``sources.base.Source``."""

from laotie.feed.sources.als import AlsSource
from laotie.feed.sources.base import Source, TrainingSet
from laotie.feed.sources.content import ContentSource
from laotie.feed.sources.continuation import ContinueSource
from laotie.feed.sources.covisit import CovisitSource
from laotie.feed.sources.ease import EaseSource
from laotie.feed.sources.follow import FollowSource
from laotie.feed.sources.fresh import FreshSource
from laotie.feed.sources.live import LiveSource
from laotie.feed.sources.popular import PopularSource

#: every source class by its configuration name
SOURCE_TYPES: dict[str, type[Source]] = {
    cls.name: cls
    for cls in (
        AlsSource,
        CovisitSource,
        EaseSource,
        PopularSource,
        FreshSource,
        FollowSource,
        ContinueSource,
        ContentSource,
        LiveSource,
    )
}

__all__ = [
    "SOURCE_TYPES",
    "AlsSource",
    "ContentSource",
    "ContinueSource",
    "CovisitSource",
    "EaseSource",
    "FollowSource",
    "FreshSource",
    "LiveSource",
    "PopularSource",
    "Source",
    "TrainingSet",
]
