"""Keeps a current retriever loaded: builds a stale index at start and swaps rebuilt ones in."""

from __future__ import annotations

import asyncio
import logging

from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import build_index, current_stamp, is_stale
from knowledge_base.retrieval.search import Retriever, SwappableRetriever
from knowledge_base.retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)


class KnowledgeBase:
    """The API's handle on retrieval; requests keep using the old index while a new one builds."""

    def __init__(self, settings: RetrievalSettings) -> None:
        self.settings = settings
        self.live = SwappableRetriever()
        self._embedder: Embedder | None = None
        self._build_lock = asyncio.Lock()

    def _load_blocking(self) -> Retriever:
        if self._embedder is None:
            self._embedder = Embedder(self.settings.embedding_model, self.settings.max_seq_length)
        settings = self.settings
        if is_stale(settings.index_dir, settings.content_dir, settings.embedding_model):
            log.info("knowledge-base index is stale: rebuilding")
            build_index(settings.content_dir, settings.index_dir, self._embedder, progress=False)
        return Retriever.from_dir(settings.index_dir, self._embedder, settings.rrf_k, settings.candidates)

    async def refresh(self) -> bool:
        """Rebuild and swap when content or model changed; True when a new index went live."""
        async with self._build_lock:
            current = self.live.current
            settings = self.settings
            wanted = current_stamp(settings.content_dir, settings.embedding_model)
            if current is not None and current.index.stamp == wanted:
                return False
            retriever = await asyncio.to_thread(self._load_blocking)
            self.live.swap(retriever)
            log.info("knowledge-base index %s is live", retriever.index.stamp.content_hash)
            return True

    async def watch(self, interval_seconds: float = 15.0) -> None:
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                await self.refresh()
            except Exception:  # a bad edit must not take search down: keep the old index
                log.exception("knowledge-base rebuild failed; keeping the previous index")
