"""Retrieval settings: where content, index and embedding model live."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = REPO_ROOT / "var" / "models" / "m3e-small"


class RetrievalSettings(BaseSettings):
    """Variables read by the index builder and by the search service."""

    model_config = SettingsConfigDict(env_prefix="KB_", extra="ignore", populate_by_name=True)

    content_dir: Path = Field(REPO_ROOT / "knowledge_base" / "content", description="FAQ and script YAML")
    index_dir: Path = Field(REPO_ROOT / "var" / "kb-index", description="built index files")
    embedding_model: str = Field(
        str(DEFAULT_MODEL_DIR),
        validation_alias="EMBEDDING_MODEL",
        description="sentence-transformers model name or local folder (default: m3e-small)",
    )
    max_seq_length: int = Field(128, description="tokens per text given to the encoder")
    rrf_k: int = Field(60, description="reciprocal-rank-fusion constant")
    candidates: int = Field(30, description="candidates taken from each retriever before fusion")
    answer_threshold: float = Field(0.6, description="confidence below which the bot hands over")


@lru_cache(maxsize=1)
def get_retrieval_settings() -> RetrievalSettings:
    return RetrievalSettings()
