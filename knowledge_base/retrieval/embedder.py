"""Sentence embeddings with sentence-transformers, loaded offline from a folder or a name."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import sentence_transformers.models as st_models
import torch
from sentence_transformers import SentenceTransformer

# No model hub at run time: a missing model must fail loudly, not start a download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def load_encoder(model: str, max_seq_length: int = 128) -> SentenceTransformer:
    """Load a sentence encoder; a plain transformer folder (like m3e) gets mean pooling."""
    path = Path(model)
    if path.is_dir() and not (path / "modules.json").exists():
        transformer = st_models.Transformer(str(path), max_seq_length=max_seq_length)
        pooling = st_models.Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
        return SentenceTransformer(modules=[transformer, pooling], device="cpu")
    encoder = SentenceTransformer(model, device="cpu")
    encoder.max_seq_length = max_seq_length
    return encoder


class Embedder:
    """Turns texts into L2-normalised float32 vectors, so inner product is cosine similarity."""

    def __init__(self, model: str, max_seq_length: int = 128) -> None:
        self.model_name = model
        self.encoder = load_encoder(model, max_seq_length)
        self.dimension = int(self.encoder.get_embedding_dimension() or 0)

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        with torch.inference_mode():
            vectors = self.encoder.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)
