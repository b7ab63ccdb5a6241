"""Sentence embeddings with sentence-transformers, loaded offline from a folder or a name.

sentence-transformers loads the model and its pooling; texts then go straight through the
tokenizer, the transformer and the pooling, which skips the per-call overhead of
`SentenceTransformer.encode` (that remains the path for pipelines of other shapes). The
transformer's Linear layers are optionally quantised to int8
(`torch.ao.quantization.quantize_dynamic`); index and queries use the same model and path, so
they live in the same vector space.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections import OrderedDict
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np
import sentence_transformers.models as st_models
import torch
from sentence_transformers import SentenceTransformer
from tqdm import tqdm

# No model hub at run time: a missing model must fail loudly, not start a download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

log = logging.getLogger(__name__)
QUANTIZE_MODES = ("int8", "none")


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


def encoder_id(quantize: str, max_seq_length: int) -> str:
    """How documents are encoded, besides the model: part of the index stamp (as configured;
    quantisation applies to the transformer pipelines this module runs directly)."""
    return f"{quantize}/{max_seq_length}"


def _quantize_int8(module: torch.nn.Module) -> torch.nn.Module:
    with warnings.catch_warnings():
        # torch flags the eager quantisation API as deprecated; it is still the torch-only way.
        warnings.simplefilter("ignore")
        try:
            return torch.ao.quantization.quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8)
        except (AttributeError, RuntimeError) as error:  # a torch without it: slower, not broken
            log.warning("int8 quantisation unavailable (%s); embedding in float32", error)
            return module


class Embedder:
    """Turns texts into L2-normalised float32 vectors, so inner product is cosine similarity."""

    def __init__(
        self,
        model: str,
        max_seq_length: int = 128,
        *,
        query_max_seq_length: int = 64,
        quantize: str = "int8",
        threads: int | None = None,
        cache_size: int = 256,
    ) -> None:
        if quantize not in QUANTIZE_MODES:
            raise ValueError(f"quantize must be one of {QUANTIZE_MODES}, not {quantize!r}")
        if threads:
            # One thread: on a small shared machine, two OpenMP threads competing with other
            # processes for the cores are many times slower than one (measured: 300 ms instead
            # of 15 ms per query on 2 busy cores); concurrent requests still use both cores.
            torch.set_num_threads(threads)
        self.model_name = model
        self.max_seq_length = max_seq_length
        self.query_max_seq_length = query_max_seq_length
        self.quantize = quantize
        self.encoder = load_encoder(model, max_seq_length)
        self.encoder.eval()
        self.dimension = int(self.encoder.get_embedding_dimension() or 0)
        self._transformer, self._pooling = self._query_path()
        if quantize == "int8" and self._transformer is not None:
            self._transformer.model = _quantize_int8(self._transformer.model)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._cache_lock = Lock()
        self._tokenizer_lock = Lock()

    @property
    def encoder_id(self) -> str:
        return encoder_id(self.quantize, self.max_seq_length)

    def _query_path(self) -> tuple[Any, str | None]:
        """The transformer and pooling mode when the pipeline is one we can run directly."""
        modules = list(self.encoder)
        if len(modules) < 2 or not isinstance(modules[0], st_models.Transformer):
            return None, None
        pooling = modules[1]
        mode = getattr(pooling, "pooling_mode", None)
        if not isinstance(pooling, st_models.Pooling) or mode not in ("mean", "cls"):
            return None, None
        if any(not isinstance(m, st_models.Normalize) for m in modules[2:]):
            return None, None
        return modules[0], str(mode)

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Embed documents (index build), one at a time through the same path as queries.

        Dynamic int8 quantisation scales activations per call, so in a batch a text's vector
        would depend on its neighbours; one path also keeps index and query vectors identical.
        With one torch thread, batching gains little on short texts anyway.
        """
        if self._transformer is not None:
            rows = [
                self._embed(text, self.max_seq_length)
                for text in tqdm(texts, desc="Embedding", unit="text", disable=not progress)
            ]
            return np.vstack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)
        with torch.inference_mode():
            vectors = self.encoder.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def encode_query(self, text: str, cached: bool = True) -> np.ndarray:
        """Embed one query as a (1, dimension) array; repeated queries come from a small LRU cache."""
        if cached and self._cache_size:
            with self._cache_lock:
                hit = self._cache.get(text)
                if hit is not None:
                    self._cache.move_to_end(text)
                    return hit
        vector = self._embed(text, self.query_max_seq_length)
        vector.setflags(write=False)
        if cached and self._cache_size:
            with self._cache_lock:
                self._cache[text] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return vector

    def _embed(self, text: str, max_length: int) -> np.ndarray:
        """One text straight through tokenizer, transformer and pooling: a (1, dimension) array."""
        if self._transformer is None:  # a pipeline we do not run by hand: the generic path
            return self.encode([text])
        with self._tokenizer_lock:  # a fast tokenizer mutates its truncation state on each call
            batch = self._transformer.tokenizer(
                [text], return_tensors="pt", truncation=True, max_length=max_length
            )
        with torch.inference_mode():
            hidden = self._transformer.model(
                input_ids=batch["input_ids"],
                attention_mask=batch["attention_mask"],
                **({"token_type_ids": batch["token_type_ids"]} if "token_type_ids" in batch else {}),
            ).last_hidden_state
            if self._pooling == "cls":
                pooled = hidden[:, 0]
            else:
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return pooled.numpy().astype(np.float32, copy=False)
