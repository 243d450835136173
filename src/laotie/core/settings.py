"""Settings: one object, one loader, one precedence for every area.

Every setting has a default that runs laotie on embedded engines with no servers. Values are
taken, each overriding the one before: the default < the TOML file (``LAOTIE_CONFIG``,
default ``$LAOTIE_HOME/laotie.toml``) < the environment (``LAOTIE_<NAME>``) < explicit values
given to ``load_settings`` (a command's ``--home``, a test, the simulator). The feed is a
nested section (``[feed.<section>]`` in the file, ``LAOTIE_FEED_<SECTION>__<KEY>`` in the
environment, ``laotie.core.feedconfig``). ``load_settings`` is the only reader of the
environment in laotie; every module gets its settings from the ``Settings`` it is given.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from laotie.core.errors import InvalidInput
from laotie.core.feedconfig import FeedConfig

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """laotie's settings; each field maps to ``LAOTIE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="LAOTIE_", extra="forbid", frozen=True)

    home: Path = Field(default=Path(".laotie"), description="data dir holding all state")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means a SQLite file under the home"
    )
    live_state_url: str = Field(
        default="",
        description="Redis URL of the live state shared by serving processes (feed signals, "
        "ad budgets and caps, rate limits, trust invalidation); empty: in process",
    )
    host: str = Field(default="127.0.0.1", description="bind host of `laotie serve`")
    port: int = Field(default=8000, ge=1, le=65535, description="bind port of `laotie serve`")
    log_level: LogLevel = Field(default="INFO", description="logging level")
    timezone: str = Field(default="Asia/Shanghai", description="time zone of day boundaries")
    environment: Literal["development", "production"] = Field(
        default="development", description="production refuses default secrets"
    )
    max_batch_events: int = Field(default=10_000, ge=1, description="events per ingest batch")
    max_batch_bytes: int = Field(default=8 * 1024 * 1024, ge=1, description="bytes per batch")
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="bytes of any other API request body (larger inputs: studio files)",
    )
    rate_limit_per_key: str = Field(
        default="1000/second",
        description="requests one API key may make (limits syntax, e.g. 100/second;5000/minute;"
        " empty: no limit)",
    )
    rate_limit_failed_auth: str = Field(
        default="20/minute",
        description="failed authentications one client address may make before it is refused",
    )
    body_read_timeout_s: float = Field(
        default=30.0, gt=0, description="seconds a request body may stall between chunks"
    )
    header_read_timeout_s: float = Field(
        default=10.0, gt=0, description="seconds a client has to send a request's headers"
    )
    feed_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="feeds a server process computes at once (2 lets one rank in native code "
        "while another runs Python; more only contend for the GIL)",
    )
    llm_preset: str = Field(
        default="",
        description="LLM service preset: openai, deepseek, qwen, moonshot, zhipu, ollama, vllm",
    )
    llm_structured: str = Field(
        default="",
        description="structured output mode: json_schema, json_object or text (default: preset's)",
    )
    llm_base_url: str = Field(default="", description="OpenAI-compatible LLM base URL")
    llm_api_key: str = Field(default="", repr=False, description="LLM API key (never logged)")
    llm_model: str = Field(default="", description="LLM model name")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="LLM request timeout, seconds")
    llm_max_retries: int = Field(default=3, ge=0, le=10, description="LLM retries on 429/5xx")
    llm_context_tokens: int = Field(default=32_000, ge=2_000, description="LLM context window")
    llm_price_input_fen_per_mtok: int = Field(
        default=200, ge=0, description="LLM input price, fen per million tokens"
    )
    llm_price_output_fen_per_mtok: int = Field(
        default=800, ge=0, description="LLM output price, fen per million tokens"
    )
    studio_workers: int = Field(default=2, ge=1, le=64, description="studio job worker threads")
    event_stream_url: str = Field(
        default="",
        description="redis:// URL of the stream accepted events are published to after commit,"
        " for consumers on other machines; empty publishes nothing",
    )
    job_queue_url: str = Field(
        default="",
        description="redis:// URL of the studio job queue consumed by `laotie worker --jobs`"
        " processes; empty runs jobs on this process's own threads",
    )
    job_lease_s: float = Field(
        default=30.0,
        ge=1.0,
        le=3600.0,
        description="seconds a running studio job's lease lasts without renewal; a job whose"
        " worker stops renewing is run again by another worker after it lapses",
    )
    kling_access_key: str = Field(default="", repr=False, description="Kling access key")
    kling_secret_key: str = Field(default="", repr=False, description="Kling secret key")
    kling_base_url: str = Field(
        default="https://api-beijing.klingai.com", description="Kling API base URL"
    )
    tts_engine: Literal["espeak", "openai", "azure", "volcengine"] = Field(
        default="espeak",
        description="speech engine: offline espeak-ng, OpenAI-compatible, Azure or Volcengine",
    )
    tts_base_url: str = Field(default="", description="OpenAI-compatible speech base URL")
    tts_api_key: str = Field(default="", repr=False, description="speech API key")
    tts_model: str = Field(default="tts-1", description="speech model name")
    tts_voice: str = Field(default="alloy", description="speech voice name")
    image_base_url: str = Field(default="", description="OpenAI-compatible image base URL")
    image_api_key: str = Field(default="", repr=False, description="image API key")
    image_model: str = Field(default="gpt-image-1", description="image model name")
    azure_speech_key: str = Field(default="", repr=False, description="Azure speech key")
    azure_speech_region: str = Field(default="", description="Azure speech region (eastasia)")
    azure_speech_base_url: str = Field(
        default="", description="Azure speech endpoint; empty = the region's"
    )
    volcengine_appid: str = Field(default="", description="Volcengine speech app id")
    volcengine_token: str = Field(default="", repr=False, description="Volcengine access token")
    volcengine_cluster: str = Field(default="volcano_tts", description="Volcengine TTS cluster")
    volcengine_base_url: str = Field(
        default="https://openspeech.bytedance.com", description="Volcengine speech base URL"
    )
    pexels_api_key: str = Field(default="", repr=False, description="Pexels API key")
    pexels_base_url: str = Field(default="https://api.pexels.com", description="Pexels API URL")
    pixabay_api_key: str = Field(default="", repr=False, description="Pixabay API key")
    pixabay_base_url: str = Field(default="https://pixabay.com", description="Pixabay API URL")
    kolors_api_key: str = Field(default="", repr=False, description="Kolors (可图) API key")
    kolors_base_url: str = Field(
        default="https://api.siliconflow.cn/v1", description="Kolors SiliconFlow-style base URL"
    )
    kolors_model: str = Field(default="Kwai-Kolors/Kolors", description="Kolors model name")
    studio_max_script_chars: int = Field(
        default=20_000, ge=1, description="longest narration script accepted (characters)"
    )
    c2pa_cert_path: str = Field(default="", description="C2PA signing certificate chain (PEM)")
    c2pa_key_path: str = Field(default="", repr=False, description="C2PA private key (PEM)")
    smtp_host: str = Field(default="", description="SMTP server for digests; empty = disabled")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port")
    smtp_sender: str = Field(default="laotie@localhost", description="From address of digests")
    ads_max_bid_fen: int = Field(default=100_000, ge=1, description="largest ad bid, fen")
    ads_max_daily_budget_fen: int = Field(
        default=100_000_000, ge=1, description="largest campaign daily budget, fen"
    )
    ads_max_topup_fen: int = Field(
        default=1_000_000_000, ge=1, description="largest single advertiser top-up, fen"
    )
    ads_reserve_cpm_fen: int = Field(
        default=100, ge=0, description="auction reserve price, fen per 1,000 impressions"
    )
    ads_min_gap: int = Field(
        default=3, ge=2, description="feed items between two ads at least this apart"
    )
    ads_categories: list[str] = Field(
        default_factory=list, description="ad categories accepted besides the catalog's"
    )
    trust_propagator: str = Field(
        default="laotie",
        min_length=1,
        max_length=128,
        description="ContentPropagator written into AIGC labels of distributed content",
    )
    trust_copy_action: Literal["demote", "review", "block"] = Field(
        default="demote", description="gate decision for a near-copy of another creator's item"
    )
    trust_exact_copy_action: Literal["demote", "review", "block"] = Field(
        default="block", description="gate decision for a copy at >= 0.9 similarity"
    )
    trust_max_upload_mb: int = Field(default=512, ge=1, description="largest upload, MiB")
    ffmpeg: str = Field(
        default="", description="ffmpeg binary to run; empty: the one imageio-ffmpeg ships"
    )
    studio_max_file_mb: int = Field(
        default=256, ge=1, description="largest studio input file (POST /v1/studio/files), MiB"
    )
    commerce_gift_creator_bp: int = Field(
        default=5_000, ge=0, le=10_000, description="creator's share of a live gift, basis points"
    )
    commerce_content_creator_bp: int = Field(
        default=7_000,
        ge=0,
        le=10_000,
        description="creator's share of a paid episode or series unlock, basis points",
    )
    wechatpay_mchid: str = Field(
        default="", description="WeChat Pay merchant id; empty: payments settle in-process"
    )
    wechatpay_appid: str = Field(default="", description="WeChat Pay app id")
    wechatpay_apiv3_key: str = Field(
        default="", repr=False, description="WeChat Pay APIv3 key, 32 bytes (never logged)"
    )
    wechatpay_merchant_key_path: str = Field(
        default="", description="PEM file of the merchant API private key (apiclient_key.pem)"
    )
    wechatpay_merchant_serial: str = Field(
        default="", description="serial number of the merchant API certificate"
    )
    wechatpay_platform_key_path: str = Field(
        default="", description="PEM file of the WeChat Pay platform public key or certificate"
    )
    wechatpay_platform_serial: str = Field(
        default="", description="Wechatpay-Serial the platform key signs under"
    )
    wechatpay_base_url: str = Field(
        default="https://api.mch.weixin.qq.com", description="WeChat Pay API base URL"
    )
    wechatpay_notify_url: str = Field(
        default="", description="public URL of /v1/commerce/payments/wechatpay/notify"
    )

    spark_master: str = Field(
        default="local[2]",
        description="Spark master of `--engine spark`: local[N] or spark://HOST:7077",
    )
    spark_driver_memory: str = Field(
        default="2g", pattern=r"^[1-9][0-9]*[mg]$", description="Spark driver JVM heap, e.g. 2g"
    )
    spark_driver_host: str = Field(
        default="127.0.0.1",
        pattern=r"^[A-Za-z0-9.:-]+$",
        description="address the Spark driver binds to and executors call back: loopback for "
        "local[N], an address the cluster reaches for spark://",
    )
    lake_url: str = Field(
        default="",
        description="where the Parquet event lake lives: empty = LAOTIE_HOME/lake/events, "
        "or s3://BUCKET/PREFIX",
    )
    media_url: str = Field(
        default="",
        description="where studio outputs are kept: empty = files under LAOTIE_HOME, "
        "or s3://BUCKET/PREFIX",
    )
    s3_endpoint_url: str = Field(
        default="", description="S3 API endpoint (MinIO, Ceph, a cloud's); empty = AWS"
    )
    s3_region: str = Field(default="us-east-1", description="S3 region of the buckets")
    s3_access_key_id: str = Field(default="", repr=False, description="S3 access key id")
    s3_secret_access_key: str = Field(
        default="", repr=False, description="S3 secret access key (never logged)"
    )

    @field_validator("spark_master")
    @classmethod
    def _known_master(cls, value: str) -> str:
        if not re.fullmatch(r"local(\[([1-9][0-9]*|\*)\])?|spark://[^\s/]+:[0-9]+", value):
            raise ValueError(
                "LAOTIE_SPARK_MASTER must be local, local[N], local[*] or spark://HOST:PORT"
            )
        return value

    @field_validator("lake_url", "media_url")
    @classmethod
    def _object_store_url(cls, value: str) -> str:
        if value and not re.fullmatch(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?", value):
            raise ValueError("must be empty (files under LAOTIE_HOME) or s3://BUCKET[/PREFIX]")
        return value.rstrip("/")

    feed: FeedConfig = Field(
        default_factory=FeedConfig,
        description="the feed pipeline: [feed.<section>] in the file, LAOTIE_FEED_<SECTION>__<KEY>"
        " (every key in docs/feed.md and laotie/feed/reference.toml)",
    )

    @field_validator("home")
    @classmethod
    def _home_is_dir_path(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"LAOTIE_HOME {value} exists and is not a directory")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite://", "sqlite+pysqlite://", "postgresql")):
            raise ValueError(
                "LAOTIE_DATABASE_URL must be sqlite:///PATH or postgresql+psycopg://..."
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"LAOTIE_TIMEZONE {value!r} is not an IANA time zone") from exc
        return value

    @model_validator(mode="after")
    def _no_default_secrets_in_production(self) -> Settings:
        if self.environment == "production" and not self.database_url:
            raise ValueError("production needs an explicit LAOTIE_DATABASE_URL")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL to connect to (a SQLite file under the home by default)."""
        return self.database_url or f"sqlite:///{(self.home / 'laotie.db').resolve()}"

    def path(self, *parts: str) -> Path:
        """A path under the home, with its parent directory created."""
        target = self.home.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target


#: environment variables of the feed section: LAOTIE_FEED_<SECTION>__<KEY>
FEED_ENV_PREFIX = "LAOTIE_FEED_"


def _file_values(path: Path) -> dict[str, Any]:
    """The TOML file's settings (flat keys and the ``[feed]`` table), or none."""
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    flat = {k: v for k, v in data.items() if not isinstance(v, dict)}
    if isinstance(data.get("feed"), dict):
        flat["feed"] = data["feed"]
    return flat


def _env_value(raw: str) -> Any:
    """An environment value: JSON where it parses (lists, numbers), the string otherwise."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _feed_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """The feed section's values from ``LAOTIE_FEED_<SECTION>__<KEY>`` variables, nested."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(FEED_ENV_PREFIX):
            continue
        *sections, key = name.removeprefix(FEED_ENV_PREFIX).lower().split("__")
        target = out
        for section in sections:
            target = target.setdefault(section, {})
        target[key] = _env_value(raw)
    return out


def merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it, nested tables merged key by key."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def load_settings(**explicit: Any) -> Settings:
    """Validated settings: defaults < TOML file < environment < ``explicit``; errors name the
    setting (its variable) and what is wrong."""
    environ = os.environ
    home = Path(explicit.get("home") or environ.get("LAOTIE_HOME", ".laotie"))
    from_file = _file_values(Path(environ.get("LAOTIE_CONFIG", home / "laotie.toml")))
    # flat settings: the environment is read by pydantic-settings, so a file value is passed
    # only where no variable names it; explicit values are passed last and win
    values = {
        k: v for k, v in from_file.items() if k != "feed" and f"LAOTIE_{k.upper()}" not in environ
    }
    feed = merged(from_file.get("feed", {}), _feed_env(environ))
    given = explicit.pop("feed", None)
    if isinstance(given, FeedConfig):
        values["feed"] = given
    else:
        values["feed"] = merged(feed, given or {})
    values.update(explicit)
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise _setting_error(exc) from exc


def _setting_error(exc: ValidationError) -> InvalidInput:
    first = exc.errors()[0]
    loc = [str(part) for part in first["loc"]] or ["settings"]
    if loc[0] == "feed" and len(loc) > 1:
        env = FEED_ENV_PREFIX + "__".join(part.upper() for part in loc[1:])
        return InvalidInput(f"feed setting {'.'.join(loc[1:])} ({env}): {first['msg']}", field=env)
    name = f"LAOTIE_{loc[0].upper()}"
    return InvalidInput(f"setting {name}: {first['msg']}", field=name)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded once."""
    return load_settings()
