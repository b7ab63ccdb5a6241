"""Builds the knowledge-base index: `python -m knowledge_base.retrieval.build [--if-stale]`."""

from __future__ import annotations

import argparse
import sys
import time

from knowledge_base.retrieval.embedder import Embedder, encoder_id
from knowledge_base.retrieval.index import build_index, is_stale
from knowledge_base.retrieval.model_files import ensure_default_model
from knowledge_base.retrieval.settings import DEFAULT_MODEL_DIR, RetrievalSettings, get_retrieval_settings


def embedder_for(settings: RetrievalSettings, cache_size: int | None = None) -> Embedder:
    """The encoder the settings describe, for building and for serving."""
    return Embedder(
        settings.embedding_model,
        settings.max_seq_length,
        query_max_seq_length=settings.query_max_seq_length,
        quantize=settings.quantize,
        threads=settings.torch_threads,
        cache_size=settings.query_cache_size if cache_size is None else cache_size,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the index is current")
    args = parser.parse_args(argv)
    settings = get_retrieval_settings()
    if settings.embedding_model == str(DEFAULT_MODEL_DIR):
        ensure_default_model(DEFAULT_MODEL_DIR)
    encoder = encoder_id(settings.quantize, settings.max_seq_length)
    model = settings.embedding_model
    if args.if_stale and not is_stale(settings.index_dir, settings.content_dir, model, encoder):
        print(f"knowledge-base index is current ({settings.index_dir})")
        return 0
    started = time.perf_counter()
    embedder = embedder_for(settings)
    stamp = build_index(settings.content_dir, settings.index_dir, embedder, progress=True)
    print(
        f"built knowledge-base index {stamp.content_hash} with {embedder.model_name} ({stamp.encoder}) "
        f"in {time.perf_counter() - started:.1f}s -> {settings.index_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
