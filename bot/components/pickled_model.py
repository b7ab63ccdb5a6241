"""What the components that learn a scikit-learn model share: one pickled model in the model storage.

The intent ensemble and the whole-message remedy reader each fit TF-IDF character n-grams and a
logistic regression, keep them as one pickle in Rasa's model storage, and start without a model
when there is none (a model trained before the component existed, or nothing to learn).
"""

from __future__ import annotations

import pickle
from typing import Any, Dict, Optional, Text, Tuple, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from sklearn.feature_extraction.text import TfidfVectorizer

Component = TypeVar("Component", bound="PickledModelComponent")


def char_ngrams(min_ngram: int, max_ngram: int) -> TfidfVectorizer:
    """TF-IDF over character n-grams inside word boundaries, damped term counts."""
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(min_ngram, max_ngram), sublinear_tf=True)


class PickledModelComponent(GraphComponent):
    """A trainable component whose model is one pickled tuple under `model_file`."""

    model_file = "model.pkl"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Optional[Tuple[Any, ...]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.prepare()
        self.use_model(model)

    def prepare(self) -> None:
        """Set up what the component needs beside its model (from `self.config`)."""

    def use_model(self, model: Optional[Tuple[Any, ...]]) -> None:
        """Take a trained model (None: no model yet)."""
        raise NotImplementedError

    def save_model(self, model: Tuple[Any, ...]) -> Resource:
        """Keep the trained model in the model storage and start using it."""
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.model_file).write_bytes(pickle.dumps(model))
        self.use_model(model)
        return self._resource

    @classmethod
    def create(
        cls: type[Component],
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Component:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls: type[Component],
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> Component:
        try:
            with model_storage.read_from(resource) as directory:
                model = pickle.loads((directory / cls.model_file).read_bytes())
        except (ValueError, FileNotFoundError):
            model = None
        return cls(config, model_storage, resource, model)
