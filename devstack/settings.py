"""Settings of the local stack (`make run`, tests): ports, data directory, interpreters."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from devstack.redis_server import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]


class StackSettings(BaseSettings):
    """Addresses of the four processes; every one can be moved by an environment variable."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    rasa_port: int = Field(5005, validation_alias="RASA_PORT", description="Rasa server port")
    action_server_port: int = Field(
        5055, validation_alias="ACTION_SERVER_PORT", description="action server port"
    )
    triage_port: int = Field(8000, validation_alias="TRIAGE_PORT", description="triage API port")
    redis_port: int = Field(6379, validation_alias="EMBEDDED_REDIS_PORT", description="embedded Redis port")
    redis_url: str | None = Field(
        None, validation_alias="REDIS_URL", description="external Redis; unset = embedded"
    )
    data_dir: Path = Field(REPO_ROOT / "var", validation_alias="STACK_DATA_DIR", description="runtime files")
    rasa_venv: Path = Field(
        REPO_ROOT / ".venv-rasa", validation_alias="RASA_VENV", description="Rasa environment"
    )
    rasa_instances: int = Field(
        1,
        ge=1,
        le=8,
        validation_alias="RASA_INSTANCES",
        description="Rasa servers sharing trackers and locks in Redis, behind a round-robin proxy",
    )
    api_instances: int = Field(
        1,
        ge=1,
        le=8,
        validation_alias="API_INSTANCES",
        description="triage API processes sharing Redis, behind a round-robin proxy on the API port",
    )
    startup_timeout: float = Field(
        300.0, validation_alias="STACK_STARTUP_TIMEOUT", description="seconds to wait for health"
    )

    rasa_models_dir: Path = Field(
        REPO_ROOT / "var" / "rasa" / "models",
        validation_alias="RASA_MODELS_DIR",
        description="trained Rasa models, named by the hash of their inputs",
    )

    @classmethod
    def on_free_ports(cls, data_dir: Path, **overrides: object) -> StackSettings:
        """A private stack for a test or a benchmark: every port free, an embedded Redis, its own
        data directory (the other settings from the environment, as always)."""
        settings = cls(
            rasa_port=free_port(),
            action_server_port=free_port(),
            triage_port=free_port(),
            redis_port=free_port(),
            redis_url=None,
            data_dir=data_dir,
        )
        return settings.model_copy(update=overrides)
