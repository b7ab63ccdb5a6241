"""The on-disk search index: faiss vectors of every document view, stamped with hash and model."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from knowledge_base.retrieval.content import Document, content_hash, load_documents
from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.textnorm import normalize

INDEX_FILE = "vectors.faiss"
META_FILE = "meta.json"
# 2: texts normalised before embedding, script questions, encoder (quantisation) in the stamp.
FORMAT_VERSION = 2


@dataclass(frozen=True)
class IndexStamp:
    """What an index was built from; a different stamp means the index is stale."""

    content_hash: str
    model: str
    encoder: str = ""  # quantisation and document length, see embedder.encoder_id
    format_version: int = FORMAT_VERSION


def current_stamp(content_dir: Path, model: str, encoder: str) -> IndexStamp:
    return IndexStamp(content_hash=content_hash(content_dir), model=model, encoder=encoder)


def read_stamp(index_dir: Path) -> IndexStamp | None:
    meta = index_dir / META_FILE
    if not meta.exists() or not (index_dir / INDEX_FILE).exists():
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))["stamp"]
        return IndexStamp(**{"format_version": 1, **data})
    except (KeyError, TypeError, ValueError):
        return None


def is_stale(index_dir: Path, content_dir: Path, model: str, encoder: str) -> bool:
    return read_stamp(index_dir) != current_stamp(content_dir, model, encoder)


@dataclass
class LoadedIndex:
    stamp: IndexStamp
    documents: list[Document]
    view_doc: list[int]  # view row -> document position
    view_text: list[str]
    vectors: faiss.Index

    def subset(self, keep_views: list[int]) -> LoadedIndex:
        """The same documents with only some of their views (cross-validation folds)."""
        matrix = self.vectors.reconstruct_n(0, self.vectors.ntotal)[keep_views]
        vectors = faiss.IndexFlatIP(self.vectors.d)
        vectors.add(np.ascontiguousarray(matrix, dtype=np.float32))
        return LoadedIndex(
            stamp=self.stamp,
            documents=self.documents,
            view_doc=[self.view_doc[row] for row in keep_views],
            view_text=[self.view_text[row] for row in keep_views],
            vectors=vectors,
        )


@contextlib.contextmanager
def index_lock(index_dir: Path, exclusive: bool) -> Iterator[None]:
    """A lock file beside the index shared by every process that reads or writes it: builds (and
    their swap) take it exclusively, one at a time; loads share it, so none sees a half swap."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(index_dir.with_name(index_dir.name + ".lock"), "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_index(content_dir: Path, index_dir: Path, embedder: Embedder, progress: bool = True) -> IndexStamp:
    """Embed every view of every document and write the index atomically (own staging dir + rename)."""
    with index_lock(index_dir, exclusive=True):
        return _build_locked(content_dir, index_dir, embedder, progress)


def ensure_index(content_dir: Path, index_dir: Path, embedder: Embedder) -> bool:
    """Builds the index if it is stale; True if this call built it. Safe with many API workers:
    the first builds, the others wait for it and find the index current."""
    with index_lock(index_dir, exclusive=True):
        if not is_stale(index_dir, content_dir, embedder.model_name, embedder.encoder_id):
            return False
        _build_locked(content_dir, index_dir, embedder, progress=False)
        return True


def _build_locked(content_dir: Path, index_dir: Path, embedder: Embedder, progress: bool) -> IndexStamp:
    documents = load_documents(content_dir)
    view_doc: list[int] = []
    view_text: list[str] = []
    for position, document in enumerate(documents):
        for text in document.views():
            view_doc.append(position)
            view_text.append(text)
    vectors = (
        embedder.encode([normalize(text) for text in view_text], progress=progress)
        if view_text
        else np.zeros((0, embedder.dimension), dtype=np.float32)
    )
    index = faiss.IndexFlatIP(embedder.dimension)
    index.add(vectors)
    stamp = current_stamp(content_dir, embedder.model_name, embedder.encoder_id)
    # This build's own staging and previous folders: a build that died halfway leaves only its own.
    staging = Path(tempfile.mkdtemp(prefix=index_dir.name + ".building-", dir=index_dir.parent))
    faiss.write_index(index, str(staging / INDEX_FILE))
    meta = {
        "stamp": asdict(stamp),
        "documents": [asdict(d) for d in documents],
        "view_doc": view_doc,
        "view_text": view_text,
    }
    (staging / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    previous = staging.with_name(staging.name.replace(".building-", ".previous-"))
    if index_dir.exists():
        os.replace(index_dir, previous)
    os.replace(staging, index_dir)
    shutil.rmtree(previous, ignore_errors=True)
    return stamp


def load_index(index_dir: Path) -> LoadedIndex:
    with index_lock(index_dir, exclusive=False):
        meta = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
        vectors = faiss.read_index(str(index_dir / INDEX_FILE))
    documents = []
    for raw in meta["documents"]:
        raw["issue_types"] = tuple(raw.get("issue_types") or ())
        raw["questions"] = tuple(raw.get("questions") or ())
        documents.append(Document(**raw))
    return LoadedIndex(
        stamp=IndexStamp(**meta["stamp"]),
        documents=documents,
        view_doc=list(meta["view_doc"]),
        view_text=list(meta["view_text"]),
        vectors=vectors,
    )
