"""The on-disk search index: faiss vectors of every document view, stamped with hash and model."""

from __future__ import annotations

import json
import os
import shutil
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


def build_index(content_dir: Path, index_dir: Path, embedder: Embedder, progress: bool = True) -> IndexStamp:
    """Embed every view of every document and write the index atomically (temp dir + rename)."""
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
    staging = index_dir.with_name(index_dir.name + ".building")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    faiss.write_index(index, str(staging / INDEX_FILE))
    meta = {
        "stamp": asdict(stamp),
        "documents": [asdict(d) for d in documents],
        "view_doc": view_doc,
        "view_text": view_text,
    }
    (staging / META_FILE).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    previous = index_dir.with_name(index_dir.name + ".previous")
    if previous.exists():
        shutil.rmtree(previous)
    if index_dir.exists():
        os.replace(index_dir, previous)
    os.replace(staging, index_dir)
    if previous.exists():
        shutil.rmtree(previous)
    return stamp


def load_index(index_dir: Path) -> LoadedIndex:
    meta = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
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
        vectors=faiss.read_index(str(index_dir / INDEX_FILE)),
    )
