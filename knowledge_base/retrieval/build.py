"""Builds the knowledge-base index: `python -m knowledge_base.retrieval.build [--if-stale]`."""

from __future__ import annotations

import argparse
import sys
import time

from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import build_index, is_stale
from knowledge_base.retrieval.model_files import ensure_default_model
from knowledge_base.retrieval.settings import DEFAULT_MODEL_DIR, get_retrieval_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the index is current")
    args = parser.parse_args(argv)
    settings = get_retrieval_settings()
    if settings.embedding_model == str(DEFAULT_MODEL_DIR):
        ensure_default_model(DEFAULT_MODEL_DIR)
    if args.if_stale and not is_stale(settings.index_dir, settings.content_dir, settings.embedding_model):
        print(f"knowledge-base index is current ({settings.index_dir})")
        return 0
    started = time.perf_counter()
    embedder = Embedder(settings.embedding_model, settings.max_seq_length)
    stamp = build_index(settings.content_dir, settings.index_dir, embedder, progress=True)
    print(
        f"built knowledge-base index {stamp.content_hash} with {embedder.model_name} "
        f"in {time.perf_counter() - started:.1f}s -> {settings.index_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
