"""The action server's settings: one object, read from the environment at start-up."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseSettings, Field  # the Rasa environment ships pydantic 1


class ActionSettings(BaseSettings):
    """Where the triage API is and how the action server authenticates to it."""

    triage_api_url: str = Field("http://127.0.0.1:8000", env="TRIAGE_API_URL")
    triage_bot_token: str = Field("dev-bot-token", env="TRIAGE_BOT_TOKEN")
    http_timeout_seconds: float = Field(8.0, env="ACTIONS_HTTP_TIMEOUT")
    http_attempts: int = Field(3, env="ACTIONS_HTTP_ATTEMPTS")
    default_channel: str = Field("app_chat", env="ACTIONS_DEFAULT_CHANNEL")
    issue_guess_confidence: float = Field(0.1, env="ACTIONS_ISSUE_GUESS_CONFIDENCE")
    redis_url: str = Field("redis://127.0.0.1:6379/0", env="ACTIONS_REDIS_URL")
    handoff_inbox_stream: str = Field("triage:inbox:handoffs", env="ACTIONS_HANDOFF_INBOX")
    host: str = Field("127.0.0.1", env="ACTIONS_HOST")
    port: int = Field(5055, env="ACTIONS_PORT")
    server_secret: str = Field("", env="ACTIONS_SERVER_SECRET")


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    return ActionSettings()
