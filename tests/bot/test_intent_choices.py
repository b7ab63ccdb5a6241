"""Clarifying buttons send words the trained model reads as the reading they offer."""

from __future__ import annotations

import sys

import yaml

from devstack.settings import REPO_ROOT
from knowledge_base.labels import intent_choices

sys.path.insert(0, str(REPO_ROOT / "bench"))
from nlu import rasa_predictions

TAXONOMY = REPO_ROOT.parent / "shared" / "spec" / "taxonomy.yaml"


def test_every_choice_names_a_taxonomy_intent() -> None:
    intents = set(yaml.safe_load(TAXONOMY.read_text(encoding="utf-8"))["intents"])
    assert set(intent_choices()) <= intents


def test_each_button_is_read_as_the_intent_it_offers() -> None:
    choices = intent_choices()
    predicted = [p["intent"] for p in rasa_predictions([c["says"] for c in choices.values()])]
    wrong = {intent: got for intent, got in zip(choices, predicted, strict=True) if intent != got}
    assert wrong == {}
