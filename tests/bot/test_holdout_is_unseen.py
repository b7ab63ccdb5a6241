"""The held-out NLU splits stay unseen: no training example equals or nearly copies one."""

from __future__ import annotations

import sys
from pathlib import Path

from devstack.settings import REPO_ROOT
from knowledge_base.textnorm import normalize

sys.path.insert(0, str(REPO_ROOT / "bench"))
from nlu import HOLDOUTS, load_nlu

NEAR_COPY = 0.6  # character-bigram Jaccard similarity


def bigrams(text: str) -> set[str]:
    text = normalize(text).replace(" ", "")
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


def near_copies(train_texts: list[str], test_texts: list[str]) -> list[tuple[str, str]]:
    train_grams = [(text, bigrams(text)) for text in train_texts]
    pairs = []
    for test_text in test_texts:
        grams = bigrams(test_text)
        for train_text, other in train_grams:
            if len(grams & other) / len(grams | other) >= NEAR_COPY:
                pairs.append((test_text, train_text))
    return pairs


def test_no_training_example_copies_a_held_out_one() -> None:
    train = load_nlu(sorted(Path(REPO_ROOT / "nlu_data" / "nlu").glob("*.yml")))
    test = load_nlu(list(HOLDOUTS.values()))
    assert near_copies([e.text for e in train], [e.text for e in test]) == []


def test_the_held_out_splits_do_not_overlap() -> None:
    splits = [load_nlu([path]) for path in HOLDOUTS.values()]
    for i, first in enumerate(splits):
        for second in splits[i + 1 :]:
            assert near_copies([e.text for e in first], [e.text for e in second]) == []


def test_near_copies_are_caught_through_normalisation() -> None:
    assert near_copies(["你是不是机器人啊"], ["你是不是機器人啊？"]) != []
    assert near_copies(["你是不是机器人啊"], ["快递到哪了"]) == []
