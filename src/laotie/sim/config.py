"""Every simulator parameter in one documented config (TOML-loadable, validated).

Sections: ``world`` (catalog generation), ``users`` (population), ``behaviour`` (per-impression
choice model), ``run`` (days, size, seed, policy). Defaults are calibrated toward the reference
values in docs/simulator.md; each field's description states its unit.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from laotie.core.errors import InvalidInput

Policy = Literal["feed", "popular", "random", "oracle"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorldConfig(_Section):
    """Catalog generation: creators, the four item kinds, durations, AIGC."""

    catalog: str = Field(
        default="generated", description="'generated', or 'kuairec:DIR' for KuaiRec captions"
    )
    creators: int = Field(default=150, ge=1, le=1_000_000, description="number of creators")
    videos: int = Field(default=2500, ge=0, le=5_000_000, description="short videos")
    series: int = Field(default=8, ge=0, le=10_000, description="micro-drama series")
    episodes_min: int = Field(default=30, ge=1, le=500, description="episodes per series, min")
    episodes_max: int = Field(default=100, ge=1, le=500, description="episodes per series, max")
    novels: int = Field(default=6, ge=0, le=10_000, description="web novels")
    chapters_min: int = Field(default=20, ge=1, le=2000, description="chapters per novel, min")
    chapters_max: int = Field(default=60, ge=1, le=2000, description="chapters per novel, max")
    games: int = Field(default=40, ge=0, le=100_000, description="mini-games")
    video_log_mean_s: float = Field(
        default=4.2276,
        description="mean of ln(video duration in s); fit to KuaiRand-Pure video_duration",
    )
    video_log_sd_s: float = Field(
        default=1.0337, gt=0, description="sd of ln(video duration in s); same fit"
    )
    video_min_s: float = Field(default=3.0, gt=0, description="shortest video, s")
    video_max_s: float = Field(default=900.0, gt=0, description="longest video, s")
    episode_min_s: float = Field(default=60.0, gt=0, description="shortest episode, s")
    episode_max_s: float = Field(default=180.0, gt=0, description="longest episode, s")
    chapter_min_s: float = Field(default=180.0, gt=0, description="shortest chapter read, s")
    chapter_max_s: float = Field(default=600.0, gt=0, description="longest chapter read, s")
    game_min_s: float = Field(default=60.0, gt=0, description="shortest game round, s")
    game_max_s: float = Field(default=480.0, gt=0, description="longest game round, s")
    creator_quality_sd: float = Field(
        default=0.8, ge=0, description="sd of creator quality (logit scale)"
    )
    item_quality_sd: float = Field(
        default=0.5, ge=0, description="sd of an item's quality around its creator's"
    )
    aigc_creator_share: float = Field(
        default=0.3, ge=0, le=1, description="share of creators who publish AIGC at all"
    )
    aigc_item_rate: float = Field(
        default=0.6, ge=0, le=1, description="mean share of an AIGC creator's items that are AIGC"
    )
    aigc_label_rate: float = Field(
        default=0.7, ge=0, le=1, description="probability that an AIGC item carries its label"
    )
    aigc_quality_shift: float = Field(
        default=-0.2, description="quality offset of AIGC items (logit scale)"
    )
    new_item_share: float = Field(
        default=0.02,
        ge=0,
        le=0.5,
        description="share of the catalog uploaded on each simulated day after the first",
    )

    @model_validator(mode="after")
    def _ranges(self) -> WorldConfig:
        for low, high in (
            ("episodes_min", "episodes_max"),
            ("chapters_min", "chapters_max"),
            ("video_min_s", "video_max_s"),
            ("episode_min_s", "episode_max_s"),
            ("chapter_min_s", "chapter_max_s"),
            ("game_min_s", "game_max_s"),
        ):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"{low} must not exceed {high}")
        return self


class UserConfig(_Section):
    """The population: activity, interests, kind preferences, patience, AIGC sensitivity."""

    activity_shares: tuple[float, float, float, float] = Field(
        default=(0.658, 0.226, 0.078, 0.038),
        description="shares of full/high/middle/low activity (KuaiRand-Pure user_active_degree)",
    )
    base_return: tuple[float, float, float, float] = Field(
        default=(0.70, 0.42, 0.22, 0.08),
        description="daily return probability per activity level at neutral satisfaction",
    )
    sessions_per_day: tuple[float, float, float, float] = Field(
        default=(2.0, 1.5, 1.2, 1.0), description="mean sessions on an active day per level"
    )
    interests_per_user: int = Field(
        default=4, ge=1, le=40, description="second-level categories a user cares about"
    )
    interest_concentration: float = Field(
        default=0.7, gt=0, description="Dirichlet alpha over a user's interests (low = peaked)"
    )
    archetype_shares: tuple[float, float, float, float] = Field(
        default=(0.55, 0.2, 0.15, 0.1),
        description="shares of scrollers, bingers (series), readers (novels), gamers",
    )
    patience_mean: float = Field(
        default=14.0, gt=0, description="mean impressions a user tolerates in one session"
    )
    aigc_sensitivity_mean: float = Field(
        default=0.35, ge=0, le=1, description="mean AIGC sensitivity (Beta distributed, 0..1)"
    )
    satisfaction_memory: float = Field(
        default=0.5, ge=0, le=1, description="weight of the newest day in satisfaction's EMA"
    )
    return_satisfaction_weight: float = Field(
        default=1.2, ge=0, description="how strongly satisfaction moves return probability"
    )
    return_trust_weight: float = Field(
        default=1.0, ge=0, description="exponent of trust in return probability"
    )
    neutral_satisfaction: float = Field(
        default=0.08, description="satisfaction at which return probability equals base_return"
    )

    @model_validator(mode="after")
    def _shares(self) -> UserConfig:
        for name in ("activity_shares", "archetype_shares"):
            total = sum(getattr(self, name))
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"{name} must sum to 1, got {total}")
        return self


class BehaviourConfig(_Section):
    """The per-impression choice model (logit-scale coefficients unless stated)."""

    play_intercept: float = Field(default=-1.6, description="logit of play at zero affinity")
    play_affinity: float = Field(default=3.2, description="weight of interest affinity on play")
    play_quality: float = Field(default=0.8, description="weight of item quality on play")
    play_kind: float = Field(default=1.0, description="weight of log kind preference on play")
    play_position: float = Field(default=0.04, ge=0, description="play penalty per page position")
    play_fatigue: float = Field(default=0.03, ge=0, description="play penalty per impression seen")
    watch_intercept: float = Field(default=-0.4, description="logit of mean watch fraction")
    watch_affinity: float = Field(default=2.0, description="weight of affinity on watch fraction")
    watch_quality: float = Field(default=0.7, description="weight of quality on watch fraction")
    watch_duration: float = Field(
        default=0.45, ge=0, description="watch fraction penalty per ln(duration / 60 s)"
    )
    watch_concentration: float = Field(
        default=2.5, gt=0, description="Beta concentration of the watch fraction"
    )
    like_intercept: float = Field(default=-4.2, description="logit of like after a play")
    like_watch: float = Field(default=2.5, description="weight of watch fraction on like")
    like_quality: float = Field(default=0.6, description="weight of quality on like")
    follow_intercept: float = Field(default=-6.2, description="logit of follow after a play")
    follow_watch: float = Field(default=2.5, description="weight of watch fraction on follow")
    share_intercept: float = Field(default=-6.0, description="logit of share after a play")
    comment_intercept: float = Field(default=-5.5, description="logit of comment after a play")
    engage_affinity: float = Field(
        default=1.0, description="affinity weight on follow/share/comment"
    )
    hate_intercept: float = Field(default=-5.0, description="logit of 'not interested'")
    hate_affinity: float = Field(default=-2.0, description="affinity weight on hate")
    leave_intercept: float = Field(default=-3.6, description="logit of leaving after an impression")
    leave_skip: float = Field(default=0.6, description="added to leave logit after a skip")
    leave_fatigue: float = Field(
        default=2.2, ge=0, description="leave logit added per impressions / patience"
    )
    satiation_creator: float = Field(
        default=0.3, ge=0, description="play logit lost per recent impression of the creator"
    )
    satiation_category: float = Field(
        default=0.06, ge=0, description="play logit lost per recent impression of the category"
    )
    satiation_creator_hours: float = Field(
        default=24.0, gt=0, description="half-life (hours) of satiation with a creator"
    )
    satiation_category_hours: float = Field(
        default=6.0, gt=0, description="half-life (hours) of satiation with a category"
    )
    continue_rate: float = Field(
        default=0.75, ge=0, le=1, description="chance to open the next episode after finishing one"
    )
    continue_decay: float = Field(
        default=0.93, ge=0, le=1, description="continue chance multiplier per episode in a binge"
    )
    binge_max: int = Field(default=12, ge=0, le=200, description="most episodes in one binge")
    complete_fraction: float = Field(
        default=0.95, gt=0, le=1, description="watch fraction counted as a completion"
    )
    aigc_labelled_play: float = Field(
        default=-0.5, description="play logit per unit AIGC sensitivity for labelled AIGC"
    )
    aigc_labelled_satisfaction: float = Field(
        default=-0.05, description="satisfaction per unit sensitivity from labelled AIGC watched"
    )
    aigc_unlabelled_detect: float = Field(
        default=0.35, ge=0, le=1, description="chance per unit sensitivity to spot unlabelled AIGC"
    )
    aigc_trust_hit: float = Field(
        default=0.08, ge=0, le=1, description="trust lost when unlabelled AIGC is spotted"
    )
    trust_recovery: float = Field(
        default=0.02, ge=0, le=1, description="trust regained per day (toward 1)"
    )
    ad_click_intercept: float = Field(default=-3.6, description="logit of clicking an ad")
    ad_convert_intercept: float = Field(default=-2.5, description="logit of converting after click")
    ad_order_mean_fen: int = Field(
        default=6_000, ge=1, description="mean order value of a conversion, fen (lognormal)"
    )
    ad_aigc_click: float = Field(
        default=-0.3, description="click logit per unit sensitivity for AIGC creatives"
    )
    ad_leave: float = Field(default=0.3, description="added to leave logit after an ad")


class RunConfig(_Section):
    """One run: size, length, seed, which feed policy serves the users."""

    users: int = Field(default=600, ge=1, le=10_000_000, description="simulated users")
    days: int = Field(default=5, ge=1, le=365, description="simulated days")
    seed: int = Field(default=0, ge=0, description="the one seed every random draw derives from")
    start: str = Field(default="2026-01-05", description="first simulated day (local date)")
    timezone: str = Field(default="Asia/Shanghai", description="time zone of day boundaries")
    page_size: int = Field(default=10, ge=1, le=100, description="items per feed request")
    max_pages: int = Field(default=6, ge=1, le=100, description="feed pages per session at most")
    policy: Policy = Field(
        default="feed",
        description="'feed' (the real feed service), or a reference: popular, random, oracle",
    )
    train_nightly: bool = Field(default=True, description="train the feed after each day")
    ads: bool = Field(default=True, description="seed advertisers and let the ads service run")
    ad_campaigns: int = Field(default=12, ge=0, le=10_000, description="campaigns seeded")
    paying: bool = Field(
        default=False, description="users top up coins, gift, unlock episodes and buy goods"
    )
    common_random_numbers: bool = Field(
        default=True, description="A/B arms share random streams per user and day"
    )
    feed: dict[str, Any] = Field(
        default_factory=dict, description="overrides passed to the feed service (e.g. sources)"
    )

    @field_validator("feed")
    @classmethod
    def _feed_overrides_are_feed_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        """Judge the overrides now, as an arm will build its feed config, not when it serves."""
        from laotie.feed import FeedConfig
        from laotie.sim.feed_adapter import feed_config

        try:
            feed_config(FeedConfig(), value, seed=0)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{where}: {first['msg']}") from None
        return value


class SimConfig(_Section):
    """The whole simulator configuration."""

    world: WorldConfig = Field(default_factory=WorldConfig)
    users: UserConfig = Field(default_factory=UserConfig)
    behaviour: BehaviourConfig = Field(default_factory=BehaviourConfig)
    run: RunConfig = Field(default_factory=RunConfig)

    def with_run(self, **changes: Any) -> SimConfig:
        """A copy with some ``run`` fields changed (validated)."""
        return _validated({**self.model_dump(), "run": {**self.run.model_dump(), **changes}})


def _validated(data: dict[str, Any]) -> SimConfig:
    try:
        return SimConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"sim config {where}: {message}", field=where) from exc


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "feed":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: Path | None = None, **run: Any) -> SimConfig:
    """The default config, overridden by a TOML file's sections and then by ``run`` fields."""
    data: dict[str, Any] = SimConfig().model_dump()
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"cannot read sim config {path}: {exc}", field="config") from exc
        try:
            override = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(
                f"sim config {path} is not valid TOML: {exc}", field="config"
            ) from exc
        data = _merge(data, override)
    if run:
        data["run"] = {**data["run"], **{k: v for k, v in run.items() if v is not None}}
    return _validated(data)


def reference_markdown() -> str:
    """Every parameter with its default and description, one table per section (for docs)."""
    lines: list[str] = []
    defaults = SimConfig()
    for section, model in (
        ("world", WorldConfig),
        ("users", UserConfig),
        ("behaviour", BehaviourConfig),
        ("run", RunConfig),
    ):
        lines += [f"### [{section}]", "", "| key | default | meaning |", "|---|---|---|"]
        values = getattr(defaults, section)
        for name, field in model.model_fields.items():
            default = getattr(values, name)
            shown = list(default) if isinstance(default, tuple) else default
            text = f"`{shown!r}`" if not isinstance(shown, str) else f'`"{shown}"`'
            lines.append(f"| `{name}` | {text} | {field.description or ''} |")
        lines.append("")
    return "\n".join(lines)


#: the file in a home that holds the config of the simulation that filled it
CONFIG_FILE = "sim-config.json"


def record_config(home: Path, config: SimConfig) -> Path:
    """Write ``config`` into ``home`` so that its ground truth can be rebuilt; returns the path."""
    path = Path(home) / CONFIG_FILE
    path.write_text(config.model_dump_json(indent=2), encoding="utf-8")
    return path


def recorded_config(home: Path) -> SimConfig | None:
    """The config recorded in ``home``, or None when no simulation filled it."""
    path = Path(home) / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path} is not a simulator config: {exc}", field="home") from exc
    try:
        return _validated(data)
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc}", field=exc.field) from exc
