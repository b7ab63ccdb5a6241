"""docker-compose.yml and the images' Dockerfiles, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pydantic_settings import BaseSettings

from devstack.settings import REPO_ROOT
from knowledge_base.retrieval.settings import RetrievalSettings
from triage_api.core.settings import Settings

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]


def env_names(settings_class: type[BaseSettings]) -> set[str]:
    prefix = settings_class.model_config.get("env_prefix", "")
    names = set()
    for name, model_field in settings_class.model_fields.items():
        alias = model_field.validation_alias
        names.add(str(alias) if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def action_server_env_names() -> set[str]:
    source = (REPO_ROOT / "bot" / "actions" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'env="([A-Z_]+)"', source))


def test_the_services_exist_with_healthchecks() -> None:
    assert set(SERVICES) == {"redis", "triage-api", "action-server", "rasa", "proxy", "prometheus"}
    assert all("healthcheck" in service for service in SERVICES.values())


def test_redis_persists_with_aof_on_a_volume() -> None:
    redis = SERVICES["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_ports_match_the_contract_through_the_one_proxy() -> None:
    assert SERVICES["proxy"]["ports"] == ["5005:5005", "8000:8000"]
    assert SERVICES["prometheus"]["ports"] == ["127.0.0.1:9090:9090"]  # its UI has no login
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"proxy", "prometheus"}


def test_the_stateless_services_can_scale_behind_the_proxy() -> None:
    """`docker compose up --scale rasa=3 --scale triage-api=2 --scale action-server=2` works: no
    published port or fixed container name to clash, and the proxy resolves every replica."""
    for name in ("rasa", "triage-api", "action-server"):
        assert "ports" not in SERVICES[name] and "container_name" not in SERVICES[name], name
    mounted = {v.split(":")[1]: v.split(":")[0] for v in SERVICES["proxy"]["volumes"]}
    config = (REPO_ROOT / mounted["/etc/nginx/nginx.conf"]).read_text(encoding="utf-8")
    assert "resolver 127.0.0.11" in config  # Docker's DNS, re-read: replicas are followed
    assert "set $rasa http://rasa:5005;" in config and "set $api http://triage-api:8000;" in config
    assert "proxy_buffering off;" in config  # the push streams
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in config  # overwritten, not appended
    assert SERVICES["triage-api"]["environment"]["TRIAGE_TRUST_FORWARDED_FOR"] == "true"
    assert "access_log off;" in config  # query strings would reach its log unmasked


def scrape_jobs() -> dict[str, dict[str, Any]]:
    """docker/prometheus.yml's scrape configs by target, as the prometheus service mounts it (every
    replica of a service, found through Docker's DNS)."""
    mounted = {volume.split(":")[1]: volume.split(":")[0] for volume in SERVICES["prometheus"]["volumes"]}
    config_file = REPO_ROOT / mounted["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    return {
        f"{name}:{discovery['port']}": job
        for job in config["scrape_configs"]
        for discovery in job["dns_sd_configs"]
        for name in discovery["names"]
    }


def test_prometheus_scrapes_both_servers_with_credentials_from_secret_files() -> None:
    jobs = scrape_jobs()
    secrets = {name: COMPOSE["secrets"][name] for name in SERVICES["prometheus"]["secrets"]}
    sources = {}
    for target in ("triage-api:8000", "action-server:5055"):
        job = jobs[target]
        assert job.get("metrics_path", "/metrics") == "/metrics"
        assert "credentials" not in job["authorization"] and "params" not in job, target
        secret = PurePosixPath(job["authorization"]["credentials_file"])
        assert secret.parent == PurePosixPath("/run/secrets") and secret.name in secrets, target
        sources[target] = secrets[secret.name]["environment"]
    assert sources == {
        "triage-api:8000": "TRIAGE_METRICS_TOKEN",
        "action-server:5055": "ACTIONS_SERVER_SECRET",
    }
    assert ":?" in SERVICES["triage-api"]["environment"]["TRIAGE_METRICS_TOKEN_SHA256"]


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


def test_the_proxy_forwards_only_the_rest_channel_to_rasa() -> None:
    config = (REPO_ROOT / "docker" / "proxy.nginx.conf").read_text(encoding="utf-8")
    rasa_server = config[config.index("listen 5005;") : config.index("listen 8000;")]
    locations = re.findall(r"location\s+([^{]*?)\s*\{([^}]*)\}", rasa_server)
    forwarded = [where for where, body in locations if "proxy_pass" in body]
    assert forwarded == ["= /webhooks/rest/webhook"]
    assert ("/", "\n      return 404;\n    ") in locations
    assert "error_log /dev/stderr crit;" in config


def test_only_the_proxy_and_prometheus_reach_outside_the_backend_network() -> None:
    assert COMPOSE["networks"]["backend"] == {"internal": True}
    for name, service in SERVICES.items():
        if name in ("proxy", "prometheus"):
            assert set(service["networks"]) == {"backend", "frontend"}
        else:
            assert service["networks"] == ["backend"], name
            assert "ports" not in service, name


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
    assert not missing, "\n".join(missing)


# The images, read from docker/*.Dockerfile. A stage is one FROM: the repo files its COPY lines
# put where, the directories Python imports from, and what its `pip install` lines install.

DOCKERFILES = sorted((REPO_ROOT / "docker").glob("*.Dockerfile"))
# pip freeze leaves these out of the lock files: pip brings them itself.
UNLOCKED = {"pip", "setuptools", "wheel"}
BARE_FILE_NAME = re.compile(r"[\w.-]+\.\w+")


@dataclass
class Stage:
    """One FROM of a Dockerfile, as far as Python in it is concerned."""

    name: str
    python: str  # major.minor of the base image
    files: dict[PurePosixPath, Path] = field(default_factory=dict)  # image path -> repo file
    directories: dict[PurePosixPath, Path] = field(default_factory=dict)  # image dir -> repo dir
    import_roots: set[PurePosixPath] = field(default_factory=set)
    requirements: list[str] = field(default_factory=list)
    constraints: list[Path] = field(default_factory=list)
    pip_lines: list[str] = field(default_factory=list)
    instructions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def python_files(self) -> dict[PurePosixPath, Path]:
        return {path: source for path, source in self.files.items() if path.suffix == ".py"}

    @property
    def modules(self) -> set[str]:
        """Dotted names the copied files provide from the import roots, packages included."""
        names: set[str] = set()
        for path in self.python_files:
            for root in self.import_roots:
                if path.is_relative_to(root):
                    parts = path.relative_to(root).with_suffix("").parts
                    parts = parts[:-1] if parts[-1] == "__init__" else parts
                    names.update(".".join(parts[:end]) for end in range(1, len(parts) + 1))
        return names


def instructions(dockerfile: Path) -> Iterator[tuple[str, str]]:
    """(INSTRUCTION, arguments), comments dropped and continuation lines joined."""
    text = dockerfile.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    for line in re.sub(r"\\\n", " ", "\n".join(lines)).splitlines():
        keyword, _, arguments = line.strip().partition(" ")
        if keyword:
            yield keyword.upper(), arguments.strip()


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def stages(dockerfile: Path) -> list[Stage]:
    found: list[Stage] = []
    workdir = PurePosixPath("/")
    for keyword, arguments in instructions(dockerfile):
        if keyword == "FROM":
            if found:  # `python -m` and `rasa` import from the working directory, then PYTHONPATH
                found[-1].import_roots.add(workdir)
            base, _, alias = arguments.partition(" AS ")
            version = re.fullmatch(r"python:(\d+\.\d+)[\w.-]*", base.strip())
            assert version, f"{dockerfile.name}: base image {base} is not an official python image"
            found.append(Stage(f"{dockerfile.stem}:{alias or 'final'}", version[1]))
            workdir = PurePosixPath("/")
            continue
        stage = found[-1]
        stage.instructions.append((keyword, arguments))
        if keyword == "WORKDIR":
            workdir = workdir / arguments
        elif keyword == "ENV":
            for variable in shlex.split(arguments):
                name, _, value = variable.partition("=")
                if name == "PYTHONPATH":
                    stage.import_roots.update(PurePosixPath(entry) for entry in value.split(":"))
        elif keyword == "COPY" and not arguments.startswith("--from="):
            *sources, target = arguments.split()
            into = len(sources) > 1 or target.endswith("/")
            for source in sources:
                copy(stage, REPO_ROOT / source, target, workdir, into)
        elif keyword == "RUN":
            for command in arguments.split("&&"):
                words = shlex.split(command)
                if words[:2] == ["pip", "install"]:
                    stage.pip_lines.append(command.strip())
                    read_pip_install(stage, words[2:], workdir)
    found[-1].import_roots.add(workdir)
    return found


def copy(stage: Stage, source: Path, target: str, workdir: PurePosixPath, into: bool) -> None:
    """What `COPY source target` puts where: a folder's contents, or one file."""
    destination = workdir / target
    if source.is_dir():
        for path in [source, *source.rglob("*")]:
            if "__pycache__" in path.parts:
                continue
            image_path = destination / path.relative_to(source).as_posix()
            if path.is_dir():
                stage.directories[image_path] = path
            else:
                stage.files[image_path] = path
    else:
        image_path = destination / source.name if into else destination
        stage.files[image_path] = source
        stage.directories[image_path.parent] = source.parent


def read_pip_install(stage: Stage, words: list[str], workdir: PurePosixPath) -> None:
    takes_a_value = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links"}
    arguments = iter(words)
    for word in arguments:
        if word in ("-r", "--requirement", "-c", "--constraint"):
            image_path = workdir / next(arguments)
            assert image_path in stage.files, f"{stage.name}: pip reads {image_path} before it is copied"
            if word in ("-r", "--requirement"):
                stage.requirements += requirement_lines(stage.files[image_path])
            else:
                stage.constraints.append(stage.files[image_path])
        elif word in takes_a_value:
            next(arguments)
        elif not word.startswith("-"):
            stage.requirements.append(word)


STAGES_OF = {dockerfile.stem: stages(dockerfile) for dockerfile in DOCKERFILES}
STAGES = [stage for found in STAGES_OF.values() for stage in found]
IMAGES = {image: found[-1] for image, found in STAGES_OF.items()}  # the stage that runs


# The repo's virtualenvs stand in for the images' site-packages: the same lock files built both.


@dataclass
class Venv:
    path: Path
    python: str  # full version, e.g. 3.10.13
    stdlib: frozenset[str]
    requires: dict[str, list[Requirement]]  # distribution -> what it requires
    providers: dict[str, set[str]]  # top-level import name -> distributions that provide it


def import_names(distribution: metadata.Distribution) -> set[str]:
    """Top-level names a distribution provides: top_level.txt, or inferred from its files
    (Python 3.10's packages_distributions() reads top_level.txt only, which poetry wheels lack)."""
    names = set((distribution.read_text("top_level.txt") or "").split())
    for file in distribution.files or ():
        if len(file.parts) > 1:
            names.add(file.parts[0])
        elif file.suffix in (".py", ".so", ".pyd"):
            names.add(file.name.split(".")[0])
    return {name for name in names if name.isidentifier() and name != "__pycache__"}


@lru_cache
def venv_for(python: str) -> Venv:
    for config in sorted(REPO_ROOT.glob(".venv*/pyvenv.cfg")):
        version = re.search(r"^version(?:_info)?\s*=\s*(\S+)", config.read_text(encoding="utf-8"), re.M)
        if version and version[1].startswith(f"{python}."):
            break
    else:
        pytest.fail(f"no virtualenv with Python {python} in the repo (make setup builds them)")
    venv = config.parent
    stdlib = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sys; print(*sys.stdlib_module_names)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    requires: dict[str, list[Requirement]] = {}
    providers: dict[str, set[str]] = {}
    for distribution in metadata.distributions(path=[str(p) for p in venv.glob("lib/python*/site-packages")]):
        name = canonicalize_name(distribution.metadata["Name"])
        requires[name] = [Requirement(line) for line in distribution.requires or ()]
        for module in import_names(distribution):
            providers.setdefault(module, set()).add(name)
    return Venv(venv, version[1], frozenset(stdlib), requires, providers)


def installed(stage: Stage) -> set[str]:
    """Distributions the stage's pip installs put in the image: its requirements and theirs."""
    venv = venv_for(stage.python)
    # Markers are read for the image's Python; Marker.evaluate fills in the rest (platform, …).
    environment = {"python_version": stage.python, "python_full_version": venv.python}
    wanted = [Requirement(line) for line in stage.requirements]
    found: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        if name not in venv.requires:
            pytest.fail(f"{stage.name} installs {name}, which {venv.path.name} lacks: the tests never ran it")
        found.add(name)
        extras = {"", *requirement.extras}
        wanted += [
            dependency
            for dependency in venv.requires[name]
            if dependency.marker is None
            or any(dependency.marker.evaluate({**environment, "extra": extra}) for extra in extras)
        ]
    return found


def imported_modules(source: Path) -> Iterator[str]:
    """Absolute modules a file imports when it runs (in functions too, not under TYPE_CHECKING);
    for `from a import b` both `a` and `a.b`, since b may be a module."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    typing_only = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for statement in node.body
        for child in ast.walk(statement)
    }
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")


def uncopied_module(stage: Stage, module: str) -> str | None:
    """The first package or module on the way to `module` that the repo has but the image lacks."""
    parts = module.split(".")
    for end in range(2, len(parts) + 1):
        if ".".join(parts[:end]) in stage.modules:
            continue
        name = parts[end - 1]
        for root in stage.import_roots:
            package = stage.directories.get(root.joinpath(*parts[: end - 1]))
            if package and ((package / f"{name}.py").is_file() or (package / name).is_dir()):
                return ".".join(parts[:end])
        return None  # an attribute of the package, not a module
    return None


@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.name)
def test_every_import_of_an_image_is_copied_stdlib_or_installed(stage: Stage) -> None:
    venv = venv_for(stage.python)
    distributions = installed(stage)
    local = {module.split(".")[0] for module in stage.modules}
    missing = set()
    for path, source in stage.python_files.items():
        for module in imported_modules(source):
            top = module.split(".")[0]
            if top in venv.stdlib:
                continue
            if top in local:
                if uncopied := uncopied_module(stage, module):
                    missing.add(f"{path} imports {uncopied}, which is not copied")
            elif not venv.providers.get(top, set()) & distributions:
                missing.add(f"{path} imports {top}, which is neither copied nor installed")
    assert not missing, "\n".join(sorted(missing))


@pytest.mark.parametrize("stage", STAGES, ids=lambda stage: stage.name)
def test_data_files_beside_copied_modules_are_copied(stage: Stage) -> None:
    missing = []
    for path, source in stage.python_files.items():
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            name = node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
            beside = BARE_FILE_NAME.fullmatch(name) and (source.parent / name).is_file()
            if beside and path.parent / name not in stage.files:
                missing.append(f"{path} reads {name}, which is not copied")
    assert not missing, "\n".join(missing)


def lock_pins(lock: Path) -> dict[str, str]:
    pins = (line.split("==", 1) for line in requirement_lines(lock) if "==" in line)
    return {canonicalize_name(name): version.strip() for name, version in pins}


@pytest.mark.parametrize("stage", [s for s in STAGES if s.requirements], ids=lambda stage: stage.name)
def test_images_install_the_versions_of_their_lock(stage: Stage) -> None:
    """What the image installs is pinned in the lock the tests' virtualenv was built from."""
    pins = {name: version for lock in stage.constraints for name, version in lock_pins(lock).items()}
    assert pins, f"{stage.name}: pip install without a lock file (-c requirements/….lock)"
    assert sorted(installed(stage) - UNLOCKED - set(pins)) == []
    for line in stage.requirements:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        if name in pins:
            assert requirement.specifier.contains(pins[name]), f"{line} contradicts {name}=={pins[name]}"


def test_the_action_server_installs_rasa_sdk_without_rasa() -> None:
    image = IMAGES["action-server"]
    assert not any("rasa.in" in line for line in image.pip_lines)
    distributions = installed(image)
    assert "rasa-sdk" in distributions
    assert distributions.isdisjoint({"rasa", "tensorflow", "tensorflow-cpu", "torch"})


@pytest.mark.parametrize("image", IMAGES.values(), ids=lambda image: image.name)
def test_every_image_runs_as_a_user_that_is_not_root(image: Stage) -> None:
    user = "root"
    commands = 0
    for keyword, arguments in image.instructions:
        if keyword == "USER":
            user = arguments.split(":")[0]
        elif keyword in ("CMD", "ENTRYPOINT"):
            commands += 1
            assert user not in ("root", "0"), f"{image.name}: {keyword} runs as {user}"
    assert commands > 0


def test_the_build_context_leaves_out_venvs_var_git_caches_and_secrets() -> None:
    lines = requirement_lines(REPO_ROOT / ".dockerignore")
    patterns = {line.strip("/") for line in lines}
    assert {".venv*", "var", ".git", ".env", "**/__pycache__", ".pytest_cache", ".mypy_cache"} <= patterns
