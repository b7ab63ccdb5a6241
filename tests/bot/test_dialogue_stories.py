"""Rasa test stories (bot/tests/test_stories.yml) through the trained model: NLU and dialogue."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devstack.settings import REPO_ROOT, StackSettings
from devstack.training import model_path, rasa_env


@pytest.mark.e2e
def test_every_test_story_is_predicted_exactly(tmp_path: Path) -> None:
    settings = StackSettings()
    model = model_path(settings)
    if not model.exists():
        pytest.fail("no trained Rasa model for the current bot and data: run `make train` first")
    result = subprocess.run(
        [
            str(settings.rasa_venv / "bin" / "rasa"), "test", "core",
            "--stories", "tests/test_stories.yml",
            "--model", str(model),
            "--out", str(tmp_path),
            "--fail-on-prediction-errors",
            "--no-plot",
        ],
        cwd=REPO_ROOT / "bot",
        env=rasa_env(settings),
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-3000:]
    assert result.returncode == 0, details
