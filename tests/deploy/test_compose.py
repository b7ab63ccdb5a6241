"""docker-compose.yml, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from devstack.settings import REPO_ROOT
from knowledge_base.retrieval.settings import RetrievalSettings
from triage_api.core.settings import Settings

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]


def env_names(settings_class: type) -> set[str]:
    prefix = settings_class.model_config.get("env_prefix", "")
    names = set()
    for name, field in settings_class.model_fields.items():
        alias = field.validation_alias
        names.add(str(alias) if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def action_server_env_names() -> set[str]:
    source = (REPO_ROOT / "bot" / "actions" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'env="([A-Z_]+)"', source))


def test_the_four_services_exist_with_healthchecks() -> None:
    assert set(SERVICES) == {"redis", "triage-api", "action-server", "rasa"}
    assert all("healthcheck" in service for service in SERVICES.values())


def test_redis_persists_with_aof_on_a_volume() -> None:
    redis = SERVICES["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_ports_match_the_contract() -> None:
    assert SERVICES["rasa"]["ports"] == ["5005:5005"]
    assert SERVICES["triage-api"]["ports"] == ["8000:8000"]


def test_the_action_server_is_not_published_and_requires_its_secret() -> None:
    service = SERVICES["action-server"]
    assert "ports" not in service
    assert ":?" in service["environment"]["ACTIONS_SERVER_SECRET"]
    assert ":?" in SERVICES["rasa"]["environment"]["ACTIONS_SERVER_SECRET"]
    assert "token: ${ACTIONS_SERVER_SECRET}" in (REPO_ROOT / "bot" / "endpoints.yml").read_text(
        encoding="utf-8"
    )


def test_rasa_http_api_requires_a_token() -> None:
    command = SERVICES["rasa"]["command"]
    assert command[command.index("--auth-token") + 1].startswith("${RASA_AUTH_TOKEN:?")


def test_environment_names_are_ones_the_settings_read() -> None:
    api_names = env_names(Settings) | env_names(RetrievalSettings)
    assert set(SERVICES["triage-api"]["environment"]) <= api_names
    assert set(SERVICES["action-server"]["environment"]) <= action_server_env_names()
    rasa_files = "".join(
        (REPO_ROOT / "bot" / name).read_text(encoding="utf-8")
        for name in ("endpoints.yml", "credentials.yml")
    )
    for name in SERVICES["rasa"]["environment"]:
        assert "${" + name + "}" in rasa_files


def test_production_api_requires_configured_tokens() -> None:
    assert SERVICES["triage-api"]["environment"]["TRIAGE_ENV"] == "production"
    assert ":?" in SERVICES["triage-api"]["environment"]["TRIAGE_AGENT_TOKENS"]


def test_images_build_from_files_that_exist() -> None:
    for name, service in SERVICES.items():
        if "build" not in service:
            continue
        dockerfile = REPO_ROOT / service["build"]["context"] / service["build"]["dockerfile"]
        assert dockerfile.is_file(), name
        for line in dockerfile.read_text(encoding="utf-8").splitlines():
            if line.startswith("COPY ") and not line.startswith("COPY --from="):
                *sources, _target = line.split()[1:]
                for source in sources:
                    assert (REPO_ROOT / source).exists(), f"{name}: COPY {source} does not exist"


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    documented = env_names(Settings) | env_names(RetrievalSettings) | action_server_env_names()
    missing = sorted(name for name in documented if f"`{name}`" not in readme)
    assert missing == []
