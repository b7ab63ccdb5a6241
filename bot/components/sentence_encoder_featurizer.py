"""Dense features for DIET from m3e-small, run with onnxruntime inside the Rasa environment.

Not in the pipeline: DIET was no better with them (docs/performance.md); kept for that
comparison. Per message, one transformer pass (`knowledge_base.onnx_encoder.OnnxSentenceEncoder`) gives
hidden states per character; a token's sequence feature is the mean over the characters it
spans, and the sentence feature is m3e's own mean pooling, the vector the knowledge base uses.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge_base.onnx_encoder import DEFAULT_ENCODER_DIR, OnnxSentenceEncoder

log = logging.getLogger(__name__)

TRAINING_BATCH = 32


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """m3e-small sequence and sentence features for the text of each message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **DenseFeaturizer.get_default_config(),
            "model_dir": DEFAULT_ENCODER_DIR,
            "max_length": 128,
            "threads": 1,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        return ["onnxruntime", "tokenizers"]

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self.encoder = OnnxSentenceEncoder(
            config["model_dir"], max_length=int(config["max_length"]), threads=int(config["threads"])
        )
        self.dim = self.encoder.dim

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceEncoderFeaturizer":
        return cls(config, execution_context.node_name)

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if int(config.get("max_length", 128)) < 8:
            raise ValueError("max_length must be at least 8 tokens")

    def _featurize(self, messages: List[Message]) -> None:
        """Every message with text gets features (DIET needs them on all examples alike); a text
        that is blank after normalisation gets zeros."""
        with_text = [
            m for m in messages if isinstance(m.get(TEXT), str) and m.get(TOKENS_NAMES[TEXT]) is not None
        ]
        todo = [m for m in with_text if m.get(TEXT).strip()]
        encoded = (
            dict(zip(map(id, todo), self.encoder.hidden_states([m.get(TEXT) for m in todo]), strict=True))
            if todo
            else {}
        )
        dim = self.dim
        for message in with_text:
            tokens = message.get(TOKENS_NAMES[TEXT])
            sequence = np.zeros((len(tokens), dim), dtype=np.float32)
            if id(message) not in encoded:
                self.add_features_to_message(sequence, np.zeros((1, dim), dtype=np.float32), TEXT, message)
                continue
            hidden, offsets = encoded[id(message)]
            sentence = hidden.mean(axis=0, keepdims=True)  # m3e pooling: every position, [CLS] and [SEP] too
            for row, token in enumerate(tokens):
                inside = [
                    i
                    for i, (start, end) in enumerate(offsets)
                    if end > start and start < token.end and end > token.start
                ]
                if inside:
                    sequence[row] = hidden[inside].mean(axis=0)
            self.add_features_to_message(sequence, sentence, TEXT, message)

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        examples = sorted(training_data.training_examples, key=lambda m: len(m.get(TEXT) or ""))
        for start in range(0, len(examples), TRAINING_BATCH):
            self._featurize(examples[start : start + TRAINING_BATCH])
        return training_data
