"""Keeps a current retriever loaded: builds a stale index at start and swaps rebuilt ones in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from threading import Lock

from knowledge_base.retrieval.build import embedder_for
from knowledge_base.retrieval.content import Document
from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import current_stamp, ensure_index
from knowledge_base.retrieval.params import Tuning
from knowledge_base.retrieval.search import Retriever, SwappableRetriever
from knowledge_base.retrieval.settings import RetrievalSettings
from knowledge_base.scripts import RenderedScript, render_script

log = logging.getLogger(__name__)


class KnowledgeBase:
    """The API's handle on retrieval; requests keep using the old index while a new one builds."""

    def __init__(self, settings: RetrievalSettings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.tuning = Tuning.load(settings.tuning_path)
        self.live = SwappableRetriever()
        self._embedder = embedder
        self._embedder_lock = Lock()
        self._build_lock = asyncio.Lock()

    def _embedder_blocking(self) -> Embedder:
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = embedder_for(self.settings)
            return self._embedder

    def _load_blocking(self) -> Retriever:
        embedder = self._embedder_blocking()
        settings = self.settings
        if ensure_index(settings.content_dir, settings.index_dir, embedder):
            log.info("knowledge-base index was stale: rebuilt")
        return Retriever.from_dir(settings.index_dir, embedder, self.tuning, settings.candidates)

    async def refresh(self) -> bool:
        """Rebuild and swap when content or model changed; True when a new index went live."""
        async with self._build_lock:
            embedder = await asyncio.to_thread(self._embedder_blocking)
            current = self.live.current
            settings = self.settings
            wanted = current_stamp(settings.content_dir, embedder.model_name, embedder.encoder_id)
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

    def script(self, script_id: str) -> Document | None:
        retriever = self.live.current
        if retriever is None:
            return None
        return next((d for d in retriever.index.documents if d.kind == "script" and d.id == script_id), None)

    def render_script(
        self, script_id: str, values: Mapping[str, object]
    ) -> tuple[Document, RenderedScript] | None:
        """The script with its placeholders filled, or None when no script has that id."""
        document = self.script(script_id)
        if document is None:
            return None
        return document, render_script(document.text, values)
