"""Application settings, read from the environment (prefix ``FITCOACH_``) and ``.env``."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, NonNegativeInt, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_GEMINI_MODEL = "gemini-2.5-flash"


class Settings(BaseSettings):
    """Every knob of fitcoach. Build it with :func:`get_settings`, never at import time."""

    model_config = SettingsConfigDict(
        env_prefix="FITCOACH_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("./var")
    database_url: str | None = None
    redis_url: str | None = None
    redis_warm_connections: NonNegativeInt = 20
    """Redis connections each process opens at start-up, before it reports ready: about the
    webhooks it takes at once. Opened during the first burst instead, they cost its acks
    ≈ 30 ms more (bench/ack.py, 40 updates 20 at a time on a new process)."""
    chroma_url: str | None = None
    memory_timeout_s: float = Field(default=5.0, gt=0)
    """Longest wait for one request to the Chroma server (chromadb's own default is none: a
    hung server would hold a turn forever); past it the turn goes on without memories."""

    model: str = "auto"
    model_base_url: str | None = None
    model_timeout_s: float = 30.0
    model_max_retries: int = 2
    google_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("GOOGLE_API_KEY", "GEMINI_API_KEY")
    )

    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("FITCOACH_OPENAI_API_KEY", "OPENAI_API_KEY")
    )

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str | None = None
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None
    admin_token: SecretStr | None = None

    embedder: Literal["auto", "offline", "gemini"] = "auto"
    """Memory embeddings: Gemini with a key (auto), or the offline embedder."""
    prompts_dir: Path | None = None
    max_body_bytes: int = 2 * 1024 * 1024
    rate_limit_person_per_min: int = 30
    access_policy: dict[str, str] = Field(default_factory=dict)
    """Per channel: open | allowlist | pairing, e.g. '{"telegram": "open"}' (JSON)."""
    access_allowlist: set[str] = Field(default_factory=set)
    """'channel:external_id' entries always allowed, e.g. '["telegram:12345"]' (JSON)."""
    rate_limit_ip_per_min: int = 60
    scheduler_enabled: bool = False
    """Run the proactive scheduler in this process (``fitcoach serve`` turns it on)."""
    scheduler_tick_seconds: float | None = None
    scheduler_batch_size: int | None = None
    scheduler_plan_batch_size: int | None = None
    web_user_secret: SecretStr | None = None
    """HMAC secret for host-signed web chat user tokens."""
    web_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    """Origins allowed to embed the web chat (comma-separated); same-origin always works."""
    web_max_photo_bytes: int = 1_500_000
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies whose X-Forwarded-For is trusted for the client address (rate limits)."""
    inbox_lease_s: float = Field(default=30.0, gt=1)
    """How long a claimed message (and its conversation lock) stays with a worker that stops
    renewing it; a crashed replica's work is taken over after this."""
    recovery_sweep_s: float = Field(default=5.0, gt=0)
    """How often each replica looks for messages whose worker died."""
    accept_timeout_s: float = Field(default=5.0, gt=0)
    """Longest wait for the inbox to confirm an inbound message before its webhook answers
    503 (a hung or partitioned database): the platform delivers it again, and a write that
    lands late is still processed (the recovery sweep picks it up)."""
    db_outage_wait_s: float = Field(default=60.0, ge=0)
    """How long a turn waits for an unreachable database (a PostgreSQL restart or failover)
    before it fails: its statements are tried again meanwhile, and the person gets the real
    answer late instead of an apology."""
    process_role: Literal["all", "web", "worker"] = "all"
    """all: accept and process. web: accept (store, ack) and hand platform messages to workers
    through Redis; worker: process handed-off messages (webhooks' acks then never wait behind
    turns). Without Redis every role processes what it accepts."""
    worker_nice: int = Field(default=0, ge=0, le=19)
    """A worker process lowers its CPU priority by this much (Linux niceness), so that on
    shared cores the web processes' acknowledgements run first and turns take the rest."""
    max_concurrent_turns: int = Field(default=256, ge=1)
    """Turns one process runs at once; more wait in the inbox (in order). A turn mostly waits
    for the model, so the bound is for memory, not CPU: at 64, a 1 s model capped two workers
    below what their CPU could do (bench/load.py); a few MB of state per turn at most."""
    db_pool_size: int = Field(default=20, ge=1)
    db_max_overflow: int = Field(default=0, ge=0)
    """Connections beyond the pool are opened and closed per use (a new connection and TLS
    negotiation each time): under bursts they cost more than waiting for a pooled one."""
    db_pool_pre_ping: bool = False
    """Test each pooled connection before use (one more round trip per transaction). Off: a
    dropped connection fails one statement, then the whole pool is replaced."""
    db_pool_recycle_s: int = Field(default=1800, ge=-1)
    """Replace pooled connections older than this (before proxies' idle timeouts); -1 never."""
    telegram_sends_per_s: float = Field(default=30.0, gt=0)
    """Telegram's per-bot message budget, shared by every replica through Redis when set."""
    telegram_typing_after_s: float = Field(default=1.0, ge=0)
    """Show "typing…" only for turns that take longer than this."""
    telegram_http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    """HTTP client for Bot API calls: aiohttp (less CPU per call) or PTB's default httpx."""
    gc_freeze: bool = True
    """After start-up, exempt the long-lived objects from garbage collection (``gc.freeze``):
    full collections then take ≈ 1 ms instead of ≈ 120 ms, which every request waited for."""
    gc_thresholds: tuple[NonNegativeInt, NonNegativeInt, NonNegativeInt] = (20_000, 20, 20)
    """The collector's generation thresholds (``gc.set_threshold``; Python's are 700, 10, 10).
    A turn's objects live across the model's second of waiting, so with Python's thresholds
    they survived into the older generations and were walked again and again: 1.0 s of
    collections per worker per 800 bench turns, 0.3 s with these."""
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"

    @field_validator("model")
    @classmethod
    def _check_model(cls, value: str) -> str:
        value = value.strip()
        if value not in ("auto", "offline") and ":" not in value:
            raise ValueError("FITCOACH_MODEL must be 'auto', 'offline' or 'provider:model'")
        return value

    @field_validator("web_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("access_policy")
    @classmethod
    def _check_policies(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {k: v for k, v in value.items() if v not in ("open", "allowlist", "pairing")}
        if bad:
            raise ValueError(f"access policy must be open, allowlist or pairing: {bad}")
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL: the configured one, or SQLite under the data dir."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'fitcoach.db').resolve()}"

    @property
    def checkpoint_path(self) -> Path:
        """SQLite file that keeps LangGraph checkpoints in embedded mode."""
        return self.data_dir / "checkpoints.sqlite"

    @property
    def resolved_model(self) -> str:
        """The model spec after applying ``auto``: Gemini with a key, else offline."""
        if self.model != "auto":
            return self.model
        if self.google_api_key and self.google_api_key.get_secret_value():
            return f"google_genai:{DEFAULT_GEMINI_MODEL}"
        return "offline"

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir


def normalise_database_url(url: str) -> str:
    """Turn plain driver URLs into their async forms (postgresql → asyncpg, sqlite → aiosqlite)."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def get_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
