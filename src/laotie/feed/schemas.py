"""What a feed request returns (in process and over HTTP)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class FeedExplain(BaseModel):
    """Why an item is on the page: its sources, each objective's prediction, the fused score,
    and what re-ranking did to it."""

    sources: list[str]
    predictions: dict[str, float]
    fused: float
    adjustments: list[str]


class FeedEntry(BaseModel):
    """One organic item on the page."""

    type: Literal["item"] = "item"
    position: int = Field(description="0-based position on the page")
    id: str = Field(description="item external id")
    kind: str
    title: str
    score: float = Field(description="re-ranked score (higher first)")
    aigc_status: str
    aigc_notice: str | None = Field(description="the notice a client must show (GB 45438-2025)")
    explain: FeedExplain | None = None
    locked: bool | None = Field(
        default=None, description="an episode past its series' paywall, not unlocked by the user"
    )
    price_fen: int | None = Field(default=None, description="price to unlock a locked episode")


class AdEntry(BaseModel):
    """An ad placed in a reserved slot by the ads area."""

    type: Literal["ad"] = "ad"
    position: int
    impression_id: str
    campaign_id: str
    creative_id: str
    title: str
    landing_url: str
    aigc_notice: str | None


class FeedPage(BaseModel):
    """A page of the feed."""

    request_id: str
    user_id: str
    model_version: str | None = None
    ranked_by: str = Field(
        description="'model'; 'model+HEAD' when the version learned to blend in a retrieval "
        "head's score (e.g. 'model+ease'); 'sources' when no ranker is loaded"
    )
    candidates: int = Field(description="candidates ranked for this page")
    entries: list[FeedEntry | AdEntry]
    next_cursor: str
    warnings: list[str] = Field(default_factory=list)


class SimilarItem(BaseModel):
    """An item like the one asked about."""

    id: str = Field(description="item external id")
    kind: str
    title: str
    score: float = Field(description="similarity (higher first)")


class SimilarItems(BaseModel):
    """``GET /v1/items/{id}/similar``."""

    item_id: str
    basis: str = Field(
        description="'als' (trained item vectors), 'content' (title/caption TF-IDF, for items "
        "without a vector) or 'category' (its category's most popular items)"
    )
    model_version: str | None
    items: list[SimilarItem]


class SimilarUser(BaseModel):
    """A user whose taste is like the one asked about."""

    id: str = Field(description="user external id")
    score: float = Field(description="cosine of the trained user vectors")


class SimilarUsers(BaseModel):
    """``GET /v1/users/{id}/similar``."""

    user_id: str
    basis: str = Field(description="'als' (trained user vectors) or 'none' (no vector yet)")
    model_version: str | None
    users: list[SimilarUser]
