"""Trains the Rasa model only when the bot or its training data changed (content hash)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from devstack.settings import REPO_ROOT, StackSettings

# Everything that changes what `rasa train` produces.
TRAINING_INPUTS = (
    "bot/config.yml",
    "bot/domain",
    "bot/data",
    "bot/components",
    "bot/jieba",
    "nlu_data",
    "knowledge_base/textnorm.py",
    "knowledge_base/clauses.py",
    "requirements/rasa.lock",
    "var/models/m3e-small-onnx/stamp.json",  # the dense featurizer's encoder (exported before training)
)
ENCODER_DIR = REPO_ROOT / "var" / "models" / "m3e-small-onnx"


def training_hash(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for entry in TRAINING_INPUTS:
        path = root / entry
        if not path.exists():
            continue
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path(settings: StackSettings) -> Path:
    return settings.rasa_models_dir / f"intake-{training_hash()}.tar.gz"


def rasa_project_args() -> list[str]:
    """The bot's config, domain and data, as every `rasa` command here is given them (cwd bot/)."""
    return ["--config", "config.yml", "--domain", "domain", "--data", str(REPO_ROOT / "nlu_data"), "data"]


# TensorFlow's own thread pools, one per op and one across ops, each as wide as the machine, fight
# the event loop and each other for two cores over models this small: a served turn took 1.7 times
# as long (p50, bench/load.py; docs/performance.md). Training keeps TensorFlow's defaults.
SERVING_THREADS = {
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
}


def rasa_env(settings: StackSettings, serving: bool = True) -> dict[str, str]:
    env = dict(os.environ)
    if serving:
        for name, value in SERVING_THREADS.items():
            env.setdefault(name, value)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "bot"), str(REPO_ROOT)])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("BOT_SENTENCE_ENCODER_DIR", str(ENCODER_DIR))
    return env


def run_in_rasa_env(args: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Runs `python <args>` in the Rasa environment, from bot/ as Rasa runs (checks, benches)."""
    settings = StackSettings()
    return subprocess.run(
        [str(settings.rasa_venv / "bin" / "python"), *args],
        cwd=REPO_ROOT / "bot",
        env=rasa_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def export_encoder() -> None:
    """The ONNX copy of m3e-small the bot's featurizer runs (a no-op when current)."""
    from knowledge_base.retrieval.onnx_export import main as export_main

    export_main(["--if-stale"])


def train_if_stale(settings: StackSettings) -> Path:
    export_encoder()
    target = model_path(settings)
    if target.exists():
        print(f"Rasa model is current: {target.name}")
        return target
    settings.rasa_models_dir.mkdir(parents=True, exist_ok=True)
    print(f"training Rasa model {target.name} (bot or training data changed)")
    subprocess.run(
        [
            str(settings.rasa_venv / "bin" / "rasa"),
            "train",
            *rasa_project_args(),
            "--out",
            str(settings.rasa_models_dir),
            "--fixed-model-name",
            target.name.removesuffix(".tar.gz"),
        ],
        cwd=REPO_ROOT / "bot",
        env=rasa_env(settings, serving=False),
        check=True,
    )
    for old in settings.rasa_models_dir.glob("intake-*.tar.gz"):
        if old != target:
            old.unlink()
    return target


if __name__ == "__main__":
    train_if_stale(StackSettings())
    sys.exit(0)
