"""Loads the human-edited FAQ and script YAML into documents, with a content hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONTENT_FILES = ("faq.yaml", "scripts.yaml")


@dataclass(frozen=True)
class Document:
    """One answerable unit: an FAQ entry or an agent script template."""

    id: str
    kind: str  # faq | script
    title: str
    text: str
    issue_types: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    category: str = ""
    stage: str = ""
    remedy: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def views(self) -> list[str]:
        """Texts that stand for this document in the index: title, each question, the body.

        FAQ questions are how shoppers ask; script questions are how agents search for 话术.
        """
        return [self.title, *self.questions, self.text]


def content_hash(content_dir: Path) -> str:
    digest = hashlib.sha256()
    for name in CONTENT_FILES:
        path = content_dir / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()[:16]


def load_documents(content_dir: Path) -> list[Document]:
    documents: list[Document] = []
    faq_path = content_dir / "faq.yaml"
    if faq_path.exists():
        for entry in (yaml.safe_load(faq_path.read_text(encoding="utf-8")) or {}).get("entries", []):
            documents.append(
                Document(
                    id=str(entry["id"]),
                    kind="faq",
                    title=str(entry["title"]),
                    text=str(entry["answer"]).strip(),
                    issue_types=tuple(entry.get("issue_types") or ()),
                    questions=tuple(str(q) for q in entry.get("questions") or ()),
                    category=str(entry.get("category", "")),
                )
            )
    scripts_path = content_dir / "scripts.yaml"
    if scripts_path.exists():
        for entry in (yaml.safe_load(scripts_path.read_text(encoding="utf-8")) or {}).get("scripts", []):
            documents.append(
                Document(
                    id=str(entry["id"]),
                    kind="script",
                    title=str(entry["title"]),
                    text=str(entry["text"]).strip(),
                    issue_types=tuple(entry.get("issue_types") or ()),
                    questions=tuple(str(q) for q in entry.get("questions") or ()),
                    stage=str(entry.get("stage", "")),
                    remedy=entry.get("remedy"),
                )
            )
    ids = [d.id for d in documents]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate knowledge-base ids: {sorted(duplicates)}")
    return documents
