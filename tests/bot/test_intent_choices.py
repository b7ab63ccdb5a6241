"""Clarifying buttons send words the trained model reads as the reading they offer."""

from __future__ import annotations

import json
import subprocess

from devstack.settings import REPO_ROOT, StackSettings
from devstack.training import model_path, rasa_env
from knowledge_base.labels import intent_choices

TAXONOMY = REPO_ROOT.parent / "shared" / "spec" / "taxonomy.yaml"


def test_every_choice_names_a_taxonomy_intent() -> None:
    import yaml

    intents = set(yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))["intents"])
    assert set(intent_choices()) <= intents


def test_each_button_is_read_as_the_intent_it_offers() -> None:
    settings = StackSettings()
    choices = intent_choices()
    completed = subprocess.run(
        [
            str(settings.rasa_venv / "bin" / "python"),
            str(REPO_ROOT / "bench" / "rasa_predict.py"),
            str(model_path(settings)),
        ],
        input=json.dumps([c["says"] for c in choices.values()], ensure_ascii=False),
        capture_output=True,
        text=True,
        env=rasa_env(settings),
        timeout=600,
        check=True,
    )
    predicted = [json.loads(line)["intent"] for line in completed.stdout.splitlines() if line.startswith("{")]
    wrong = {intent: got for intent, got in zip(choices, predicted, strict=True) if intent != got}
    assert wrong == {}
