"""First NLU component: shoppers' text in canonical form before tokenisation.

Uses the normaliser shared with the knowledge base, in its length-preserving form so that
entity offsets in training data stay valid. With `focus` on (the default), greeting and thanks
clauses around a request and the labels of pasted order cards are blanked too
(`knowledge_base.clauses`), so that "你好，…坏了，谢谢" is read for what it asks.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge_base.clauses import focus_aligned
from knowledge_base.textnorm import MAX_MESSAGE_CHARS, normalize_aligned


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Traditional→Simplified, full-width→half-width, emoji and control characters to spaces."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"focus": True}

    def __init__(self, focus: bool = True) -> None:
        self.focus = focus

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TextNormalizer":
        return cls(bool({**cls.get_default_config(), **config}["focus"]))

    def _normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if isinstance(text, str) and text:
            normal = normalize_aligned(text[:MAX_MESSAGE_CHARS])
            message.set(TEXT, focus_aligned(normal) if self.focus else normal)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self._normalize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._normalize(message)
        return messages
