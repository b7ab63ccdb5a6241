"""The real embedding model and a freshly built index, once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base.retrieval.build import embedder_for
from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import build_index
from knowledge_base.retrieval.model_files import ensure_default_model
from knowledge_base.retrieval.params import Tuning
from knowledge_base.retrieval.search import Retriever
from knowledge_base.retrieval.settings import DEFAULT_MODEL_DIR, RetrievalSettings


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory) -> RetrievalSettings:
    defaults = RetrievalSettings()
    return RetrievalSettings(
        content_dir=defaults.content_dir,
        index_dir=tmp_path_factory.mktemp("kb") / "index",
        embedding_model=str(ensure_default_model(DEFAULT_MODEL_DIR)),
    )


@pytest.fixture(scope="session")
def embedder(kb_settings: RetrievalSettings) -> Embedder:
    """The encoder exactly as the API configures it (int8, one torch thread)."""
    return embedder_for(kb_settings)


@pytest.fixture(scope="session")
def retriever(embedder: Embedder, kb_settings: RetrievalSettings) -> Retriever:
    build_index(kb_settings.content_dir, kb_settings.index_dir, embedder, progress=False)
    return Retriever.from_dir(Path(kb_settings.index_dir), embedder, Tuning.load(kb_settings.tuning_path))
