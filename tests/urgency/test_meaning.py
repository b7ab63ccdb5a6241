"""The urgency reader's meaning model: trained by `make urgency`, read beside the rules.

Lines here are new: none is in a labelled urgency set the model learnt from.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from knowledge_base.onnx_encoder import OnnxSentenceEncoder
from urgency import SignalReader, version
from urgency.meaning import ENCODER_FILE, MeaningModel, char_ngrams
from urgency.train_meaning import fit

READER = SignalReader.load()
RULES = SignalReader.load(meaning=False)


def signals(reader: SignalReader, *turns: str) -> set[str]:
    return {hit.signal for hit in reader.read(list(turns)).hits}


def test_the_trained_model_is_read_by_default() -> None:
    assert READER.meaning is not None, "run `make urgency`"
    assert READER.meaning.ngrams is not None  # character n-grams beside the sentence vector
    assert RULES.meaning is None


def test_the_model_reads_char_ngrams_exactly_as_scikit_learn_trained_them() -> None:
    """`fit` compares the model's own featurisation with scikit-learn's and raises on a mismatch."""
    texts = [
        "孩子用完手上起了一片红疙瘩",
        "喝完以后一直想吐，头也晕",
        "有人还在用我的号下单",
        "卡里的钱一笔一笔往外走",
        "我要发微博让大家都看看",
        "已经联系了电视台的记者",
        "请问什么时候发货",
        "这个颜色有点暗  能换吗",
    ]
    labels = ["safety", "safety", "money_at_risk", "money_at_risk"] + ["public_exposure"] * 2 + ["none"] * 2
    encoder = OnnxSentenceEncoder(model_file=ENCODER_FILE)
    model = fit(encoder, texts, encoder.sentence_vectors(texts), labels)
    assert model.ngrams is not None and {"用", "发", "我"} <= set(model.ngrams.columns)  # min_df 2
    assert char_ngrams("Ab  c") == ["a", "b", " ", "c", "ab", "b ", " c", "ab ", "b c"]


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("宝宝啃了一口这个磨牙棒，嘴角一圈都紫了，哭个不停", "safety"),
        ("孩子喝了一口就说嗓子辣，现在说话都哑了", "safety"),
        ("我准备把聊天记录整理好交给消费者权益保护的部门", "public_exposure"),
    ],
)
def test_what_no_rule_says_is_read_from_the_meaning(text: str, signal: str) -> None:
    assert signals(RULES, text) == set()
    hits = READER.read([text]).hits
    assert [(h.signal, h.source) for h in hits] == [(signal, "meaning")]
    assert 0.8 <= hits[0].confidence <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "这个价格简直要了我的命，太贵了",
        "之前被盗刷那次已经处理好了，今天想问发票",
        "请问过敏体质可以用这款面霜吗",
    ],
)
def test_idioms_past_cases_and_questions_stay_calm(text: str) -> None:
    assert signals(READER, text) == set()


def test_a_withdrawn_signal_is_not_brought_back_by_the_model() -> None:
    turns = ["你们再不处理我就去12315投诉", "算了，不投诉了，你们给我退了就行"]
    reading = READER.read(turns)
    assert "public_exposure" not in {h.signal for h in reading.hits}
    assert "public_exposure" in {h.signal for h in reading.withdrawn}


def test_a_sure_none_vetoes_the_rules_and_says_so() -> None:
    """Weights that read every text as "none" with certainty: the rules' exposure hit is doubted,
    not lost silently; a signal the model does not know (strong anger) and harm stay."""
    encoder = OnnxSentenceEncoder(model_file=ENCODER_FILE)
    classes = ["money_at_risk", "none", "public_exposure", "safety"]
    sure_none = MeaningModel(
        encoder, classes, np.zeros((4, encoder.dim)), np.array([0.0, 20.0, 0.0, 0.0]), 0.8, 0.95
    )
    reader = RULES.with_meaning(sure_none)
    reading = reader.read(["我要去12315投诉你们这个黑店，受够了"])
    assert [h.signal for h in reading.doubted] == ["public_exposure"]
    assert {h.signal for h in reading.hits} == {"strong_anger"}
    harm = reader.read(["孩子误食了玩具零件"])  # harm is never doubted
    assert {h.signal for h in harm.hits} == {"safety"} and harm.doubted == []


def test_blank_and_odd_turns_read_without_error() -> None:
    for turns in ([""], ["   ", "🙏🙏"], ["\u200b" * 5000], ["急急急！！！" * 300]):
        READER.read(turns)


def test_the_version_names_the_model_and_fits_the_handoff_field() -> None:
    """The bot sends this with every handoff; the API compares it with its own."""
    assert re.fullmatch(r"\d+-[0-9a-f]{8}", version())
    assert re.fullmatch(r"^[A-Za-z0-9_.-]+$", version()) and len(version()) <= 16
