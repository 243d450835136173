"""Settings: environment variables prefixed ``LAOTIE_`` plus an optional TOML file.

Every setting has a default that runs laotie on embedded engines with no servers. The TOML
file (``LAOTIE_CONFIG``, default ``$LAOTIE_HOME/laotie.toml``) is read when present;
environment variables override it.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from laotie.core.errors import InvalidInput

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """laotie's settings; each field maps to ``LAOTIE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="LAOTIE_", extra="forbid", frozen=True)

    home: Path = Field(default=Path(".laotie"), description="data dir holding all state")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means a SQLite file under the home"
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


def _toml_values(home: Path) -> dict[str, Any]:
    config = Path(os.environ.get("LAOTIE_CONFIG", home / "laotie.toml"))
    if not config.is_file():
        return {}
    with config.open("rb") as handle:
        data = tomllib.load(handle)
    return {k: v for k, v in data.items() if not isinstance(v, dict)}


def load_settings(**overrides: Any) -> Settings:
    """Validated settings from TOML, environment and ``overrides``; clear errors on failure."""
    home = Path(overrides.get("home") or os.environ.get("LAOTIE_HOME", ".laotie"))
    values = {
        k: v for k, v in _toml_values(home).items() if f"LAOTIE_{k.upper()}" not in os.environ
    }
    values.update(overrides)
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        raise InvalidInput(
            f"setting LAOTIE_{name.upper()}: {first['msg']}", field=f"LAOTIE_{name.upper()}"
        ) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded once."""
    return load_settings()
