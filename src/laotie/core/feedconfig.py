"""The feed section of the settings: sources with quotas, ranker, fusion, re-rank, serving.

``Settings.feed`` holds it (``laotie.core.settings``): ``[feed.<section>] key = ...`` in the
TOML file, the environment variable ``LAOTIE_FEED_<SECTION>__<KEY>`` (for example
``LAOTIE_FEED_ALS__FACTORS=32``), then explicit values, in the precedence of every setting.
``reference_toml()`` renders every default with its description; the checked-in
``laotie/feed/reference.toml`` is that output (a test keeps them equal).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from laotie.core.clock import MS_PER_DAY, MS_PER_MINUTE
from laotie.core.watch import LONG_VIEW_MS


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlsConfig(_Section):
    """Source ``als``: implicit ALS + IVF ANN (faiss)."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=200, ge=0, le=2000, description="candidates it contributes")
    factors: int = Field(default=64, ge=2, le=512, description="latent dimensions")
    regularization: float = Field(default=0.05, ge=0, description="L2 penalty")
    alpha: float = Field(default=2.0, gt=0, description="confidence per unit of weight")
    iterations: int = Field(default=12, ge=1, le=100, description="ALS sweeps")
    ann_lists: int = Field(
        default=0, ge=0, le=65_536, description="IVF k-means lists; 0: about sqrt(items) / 2"
    )
    ann_probes: int = Field(
        default=48, ge=1, le=65_536, description="IVF lists scanned per query (recall vs time)"
    )


class CovisitConfig(_Section):
    """Source ``covisit``: co-visitation of recent positives, real time."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=150, ge=0, le=2000, description="candidates it contributes")
    window: int = Field(default=3, ge=1, le=20, description="steps apart that still co-visit")
    session_gap_ms: int = Field(default=30 * MS_PER_MINUTE, ge=1, description="max gap per step")
    half_life_ms: int = Field(default=7 * MS_PER_DAY, ge=1, description="age halving a pair")
    top_k: int = Field(default=50, ge=1, le=1000, description="neighbours kept per item")
    seeds: int = Field(default=10, ge=1, le=100, description="recent positives used as seeds")


class EaseConfig(_Section):
    """Source ``ease``: EASE item-to-item regression over the most-played items."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=150, ge=0, le=2000, description="candidates it contributes")
    l2: float = Field(default=200.0, gt=0, description="L2 penalty of the regression")
    max_items: int = Field(
        default=3000, ge=2, le=12_000, description="most-played items modelled (cost: cubic)"
    )
    neighbours: int = Field(default=200, ge=1, le=1000, description="weights kept per item")


class PopularConfig(_Section):
    """Source ``popular``: decayed popularity, overall and per favourite category."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=150, ge=0, le=2000, description="candidates it contributes")
    half_life_ms: int = Field(default=3 * MS_PER_DAY, ge=1, description="age halving a play")
    top: int = Field(default=2000, ge=1, description="overall list length (also top-up pool)")
    per_category: int = Field(default=300, ge=1, description="list length per category")


class FreshConfig(_Section):
    """Source ``fresh``: exploration of new items and new creators."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=60, ge=0, le=2000, description="candidates it contributes")
    window_ms: int = Field(default=3 * MS_PER_DAY, ge=1, description="an item is new this long")
    max_impressions: int = Field(default=200, ge=1, description="exposure that ends newness")
    new_creator_window_ms: int = Field(default=14 * MS_PER_DAY, ge=1, description="new creator")
    pool_max: int = Field(default=20_000, ge=1, description="pool size cap")


class FollowConfig(_Section):
    """Source ``follow``: new items of followed creators."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=50, ge=0, le=2000, description="candidates it contributes")
    window_ms: int = Field(default=30 * MS_PER_DAY, ge=1, description="how new an item must be")
    per_creator: int = Field(default=10, ge=1, description="newest items per creator")


class ContinueConfig(_Section):
    """Source ``continue``: next episode / chapter of series and novels in progress."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=20, ge=0, le=2000, description="candidates it contributes")
    window_ms: int = Field(default=30 * MS_PER_DAY, ge=1, description="progress older is dropped")


class ContentConfig(_Section):
    """Source ``content``: jieba TF-IDF similarity for cold items."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=60, ge=0, le=2000, description="candidates it contributes")
    max_items: int = Field(default=20_000, ge=1, description="least exposed items indexed")
    profile_items: int = Field(default=10, ge=1, description="recent positives in the profile")


class LiveConfig(_Section):
    """Source ``live``: rooms live now by viewers, gifting and the user's interests."""

    enabled: bool = Field(default=True, description="use this source")
    quota: int = Field(default=10, ge=0, le=2000, description="candidates it contributes")


class RankerConfig(_Section):
    """Multi-task LightGBM ranker and how its training rows are made."""

    enabled: bool = Field(default=True, description="rank with the models (else source order)")
    n_estimators: int = Field(default=50, ge=1, le=2000, description="boosting rounds")
    num_leaves: int = Field(default=31, ge=2, le=1024, description="leaves per tree")
    learning_rate: float = Field(default=0.1, gt=0, le=1, description="shrinkage")
    min_data_in_leaf: int = Field(default=40, ge=1, description="rows per leaf")
    rows_per_leaf: int = Field(
        default=1000, ge=1, description="training rows per leaf grown (small logs: small trees)"
    )
    duration_buckets: int = Field(default=10, ge=1, le=100, description="D2Q duration buckets")
    label_split: Literal["auto", "time", "user"] = Field(
        default="auto",
        description="labelled part: after a time (time), each user's last share (user), or "
        "time unless most labelled users would lack a history (auto)",
    )
    label_share: float = Field(
        default=0.2, gt=0, lt=1, description="last share of the window labelled"
    )
    negatives_per_positive: int = Field(
        default=4,
        ge=0,
        le=50,
        description="negatives per positive: shown-not-played rows, topped up by uniform samples",
    )
    max_training_rows: int = Field(default=400_000, ge=100, description="training rows cap")
    rank_depth: int = Field(
        default=60, ge=1, le=5000, description="candidates every objective scores (pre-rank)"
    )
    prerank_rounds: int = Field(
        default=20, ge=0, le=2000, description="p(play) rounds the pre-rank uses; 0: all"
    )
    min_training_rows: int = Field(
        default=1000, ge=0, description="fewer labelled rows: no ranker, rank by retrieval"
    )
    long_view_ms: int = Field(
        default=LONG_VIEW_MS, ge=1, description="KuaiRand long-view threshold"
    )


class FusionWeights(_Section):
    """Exponent of each objective's factor (1 + scale * p) in the fused score."""

    play: float = Field(default=2.0, description="p(play)")
    long_view: float = Field(default=0.5, description="p(long view)")
    watch_quantile: float = Field(default=0.5, description="D2Q watch-time quantile")
    like: float = Field(default=0.5, description="p(like)")
    follow: float = Field(default=0.5, description="p(follow)")
    hate: float = Field(default=-1.0, description="p(hate); negative demotes")


class FusionScales(_Section):
    """Scale of each objective inside (1 + scale * p): larger for rarer events."""

    play: float = Field(default=1.0, ge=0, description="p(play)")
    long_view: float = Field(default=1.0, ge=0, description="p(long view)")
    watch_quantile: float = Field(default=1.0, ge=0, description="D2Q watch-time quantile")
    like: float = Field(default=3.0, ge=0, description="p(like), rarer than a play")
    follow: float = Field(default=10.0, ge=0, description="p(follow), much rarer than a play")
    hate: float = Field(default=10.0, ge=0, description="p(hate)")


class FusionConfig(_Section):
    """score = prod_k (1 + scale_k * p_k) ** weight_k (see docs/feed.md for why)."""

    weights: FusionWeights = Field(default_factory=FusionWeights, description="exponents")
    scales: FusionScales = Field(default_factory=FusionScales, description="scales")


class KindCaps(_Section):
    """Largest share of a page per item kind (applies when candidates hold several kinds)."""

    video: float = Field(default=0.8, ge=0, le=1, description="short videos")
    episode: float = Field(default=0.4, ge=0, le=1, description="micro-drama episodes")
    chapter: float = Field(default=0.3, ge=0, le=1, description="novel chapters")
    game: float = Field(default=0.2, ge=0, le=1, description="mini-games")
    live: float = Field(default=0.2, ge=0, le=1, description="live rooms")


class RerankConfig(_Section):
    """Re-ranking constraints."""

    mmr_lambda: float = Field(default=0.05, ge=0, le=1, description="diversity vs relevance")
    category_similarity: float = Field(default=0.7, ge=0, le=1, description="same category")
    creator_similarity: float = Field(default=0.3, ge=0, le=1, description="same creator")
    creator_cap: int = Field(default=4, ge=1, le=100, description="items per creator per page")
    creator_gap: int = Field(
        default=0,
        ge=0,
        le=20,
        description="fewest other creators' items between two of one creator's (soft)",
    )
    aigc_cap: float = Field(default=0.3, ge=0, le=1, description="max AIGC share of a page")
    suspected_factor: float = Field(default=0.5, ge=0, le=1, description="unlabelled AIGC demotion")
    demote_factor: float = Field(default=0.5, ge=0, le=1, description="trust 'demote' factor")
    kind_caps: KindCaps = Field(default_factory=KindCaps, description="share caps per kind")
    ad_slots: list[NonNegativeInt] = Field(
        default_factory=lambda: [4, 11], description="0-based ad positions"
    )
    fresh_slots: list[NonNegativeInt] = Field(
        default_factory=lambda: [6],
        description="0-based item positions, before ads are placed, kept for a fresh candidate",
    )


class ServingConfig(_Section):
    """Request handling."""

    max_n: int = Field(default=100, ge=1, le=1000, description="largest page size")
    min_candidates: int = Field(default=500, ge=1, le=5000, description="candidates to rank")
    cursor_max_items: int = Field(default=1000, ge=20, description="items a cursor excludes")
    reload_check_ms: int = Field(default=1000, ge=0, description="how often to look for a model")
    catalog_refresh_ms: int = Field(default=5000, ge=0, description="how often to look for items")
    log_impressions: bool = Field(default=True, description="log impressions to the event log")
    seed: int = Field(default=0, description="seed of exploration and training")


class TrainingConfig(_Section):
    """``laotie train``."""

    window_days: int = Field(default=30, ge=1, le=3650, description="days of events read")
    keep_versions: int = Field(default=5, ge=1, le=100, description="model versions kept")
    num_threads: int = Field(
        default=1, ge=0, description="threads for ALS/LightGBM fits (0 = all cores)"
    )


class FeedConfig(BaseModel):
    """The whole feed configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    als: AlsConfig = Field(default_factory=AlsConfig, description="source als")
    covisit: CovisitConfig = Field(default_factory=CovisitConfig, description="source covisit")
    ease: EaseConfig = Field(default_factory=EaseConfig, description="source ease")
    popular: PopularConfig = Field(default_factory=PopularConfig, description="source popular")
    fresh: FreshConfig = Field(default_factory=FreshConfig, description="source fresh")
    follow: FollowConfig = Field(default_factory=FollowConfig, description="source follow")
    continuation: ContinueConfig = Field(
        default_factory=ContinueConfig, description="source continue"
    )
    content: ContentConfig = Field(default_factory=ContentConfig, description="source content")
    live: LiveConfig = Field(default_factory=LiveConfig, description="source live")
    ranker: RankerConfig = Field(default_factory=RankerConfig, description="ranking models")
    fusion: FusionConfig = Field(default_factory=FusionConfig, description="fusion formula")
    rerank: RerankConfig = Field(default_factory=RerankConfig, description="re-ranking")
    serving: ServingConfig = Field(default_factory=ServingConfig, description="serving")
    training: TrainingConfig = Field(default_factory=TrainingConfig, description="training")

    def source_sections(self) -> dict[str, BaseModel]:
        """Each source's section by source name, in pipeline order."""
        return {
            "continue": self.continuation,
            "follow": self.follow,
            "covisit": self.covisit,
            "ease": self.ease,
            "als": self.als,
            "content": self.content,
            "popular": self.popular,
            "fresh": self.fresh,
            "live": self.live,
        }


def env_names(model: type[BaseModel] = FeedConfig, prefix: str = "LAOTIE_FEED_") -> dict[str, str]:
    """Dotted key -> environment variable for every leaf setting."""
    out: dict[str, str] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for key, env in env_names(annotation, f"{prefix}{name.upper()}__").items():
                out[f"{name}.{key}"] = env
        else:
            out[name] = f"{prefix}{name.upper()}"
    return out


def reference_toml() -> str:
    """Every feed setting with its default, environment variable and description, as TOML."""
    lines = ["# laotie feed reference configuration: every key with its default.", ""]

    def render(model: type[BaseModel], path: list[str]) -> None:
        leaves, nested = [], []
        for name, info in model.model_fields.items():
            annotation = info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                nested.append((name, annotation))
            else:
                leaves.append((name, info))
        if path and leaves:
            lines.append(f"[{'.'.join(path)}]")
            doc = (model.__doc__ or "").strip().splitlines()[0]
            lines.append(f"# {doc}")
            for name, info in leaves:
                env = "LAOTIE_FEED_" + "__".join(p.upper() for p in [*path[1:], name])
                default = info.get_default(call_default_factory=True)
                lines.append(f"# {info.description} (env {env})")
                lines.append(f"{name} = {_toml_value(default)}")
            lines.append("")
        for name, annotation in nested:
            render(annotation, [*path, name])

    render(FeedConfig, ["feed"])
    return "\n".join(lines)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)
