"""The triage API's settings: one typed object, read from the environment once at start-up."""

from __future__ import annotations

import json
from enum import Enum
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_CHAT_SECRET = "development-chat-secret-not-for-production"


class Environment(str, Enum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    """Every variable the triage API reads. Development mode is loud about insecure defaults."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore", populate_by_name=True)

    env: Environment = Field(Environment.development, description="development or production")
    host: str = Field("127.0.0.1", description="address the API binds to")
    port: int = Field(8000, description="port the API listens on")
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0",
        validation_alias="REDIS_URL",
        description="Redis holding tickets and queues (make run starts an embedded one)",
    )
    key_prefix: str = Field("triage", description="namespace of every Redis key")
    redis_max_connections: int = Field(
        100, ge=1, description="Redis connections per API process; more concurrent requests wait for one"
    )
    agent_tokens: str = Field(
        "",
        description=('JSON list of {"name", "role", "token_sha256"}; roles: bot, agent, supervisor, trainer'),
    )
    policy_path: Path = Field(
        REPO_ROOT / "triage_api" / "triage" / "policy.yaml",
        description="triage policy data file (severity, signals, routing, SLA)",
    )
    max_body_bytes: int = Field(256 * 1024, description="largest accepted request body")
    kb_enabled: bool = Field(True, description="serve /api/v1/kb/search (loads the embedding model)")
    log_level: str = Field("INFO", description="logging level")
    agent_capacity: int = Field(
        8,
        ge=1,
        le=1000,
        description="most open tickets (assigned or waiting for the customer) one agent may hold",
    )
    sla_check_interval: float = Field(
        15.0,
        ge=0,
        description="seconds between SLA checks of the background monitor; 0 turns the monitor off",
    )
    shopper_lookup_window: int = Field(
        60, ge=1, description="seconds of the moving window the shopper status lookup limits count in"
    )
    shopper_lookups_per_ip: int = Field(
        20, ge=1, description="shopper status lookups one client address may make per window"
    )
    shopper_lookups_per_ticket: int = Field(
        10, ge=1, description="shopper status lookups of one ticket id per window, from any address"
    )
    kb_search_window: int = Field(
        60, ge=1, description="seconds of the moving window the knowledge-base search limits count in"
    )
    kb_searches_per_ip: int = Field(
        30, ge=1, description="knowledge-base searches one client address may make per window without a token"
    )
    kb_searches_per_principal: int = Field(
        1200,
        ge=1,
        description=(
            "knowledge-base searches one token holder may make per window; the bot's one token "
            "carries every shopper's FAQ questions"
        ),
    )
    trust_forwarded_for: bool = Field(
        False,
        description="take the client address from X-Forwarded-For (only behind a trusted reverse proxy)",
    )
    chat_secret: str = Field(
        DEVELOPMENT_CHAT_SECRET,
        min_length=16,
        description="HMAC secret of shoppers' push-stream tokens (the shop's front end mints them with it)",
    )
    chat_bot_url: str = Field(
        "http://127.0.0.1:5005/webhooks/rest/webhook",
        description="the Rasa REST webhook the shopper chat page posts to",
    )
    relay_quiet_seconds: float = Field(
        90.0,
        ge=0,
        description="a shopper writing again within this many seconds is not acknowledged again",
    )
    shutdown_grace_seconds: int = Field(
        5, ge=0, description="seconds a stopping API waits for open requests and push streams"
    )
    closed_ticket_retention_days: int = Field(
        180, ge=1, description="days a closed ticket is kept after its last change, then deleted"
    )
    retention_check_interval: float = Field(
        3600.0, ge=0, description="seconds between retention sweeps; 0 turns them off"
    )
    tracker_redis_url: str = Field(
        "",
        description="Redis database of Rasa's trackers, for erasing a shopper (empty: no trackers to erase)",
    )
    tracker_key_prefix: str = Field(
        "tracker:tracker:",
        description="prefix of Rasa's tracker keys: RedisTrackerStore makes `<key_prefix>:tracker:`",
    )
    analytics_timezone: str = Field(
        "Asia/Shanghai", description="time zone whose calendar days the review analytics count in"
    )
    metrics_token_sha256: str = Field(
        "",
        pattern=r"^([0-9a-fA-F]{64})?$",
        description=(
            "SHA-256 (hex) of the scrape token that may read GET /metrics and nothing else "
            "(Prometheus's); empty: only supervisors' tokens read it"
        ),
    )

    @field_validator("agent_tokens")
    @classmethod
    def _tokens_are_json(cls, value: str) -> str:
        if value.strip():
            parsed = json.loads(value)
            if not isinstance(parsed, list):
                raise ValueError("TRIAGE_AGENT_TOKENS must be a JSON list")
        return value

    @field_validator("analytics_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.env is Environment.production and not self.agent_tokens.strip():
            raise ValueError("TRIAGE_AGENT_TOKENS is empty: refusing to start in production without secrets")
        if self.env is Environment.production and self.chat_secret == DEVELOPMENT_CHAT_SECRET:
            raise ValueError("TRIAGE_CHAT_SECRET is the development one: refusing to start in production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
