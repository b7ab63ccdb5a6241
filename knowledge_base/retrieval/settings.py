"""Retrieval settings: where content, index and embedding model live, and how queries are served."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = REPO_ROOT / "var" / "models" / "m3e-small"
DEFAULT_TUNING_PATH = Path(__file__).resolve().parent / "tuning.json"


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
    max_seq_length: int = Field(128, ge=8, le=512, description="tokens per indexed text given to the encoder")
    query_max_seq_length: int = Field(64, ge=8, le=512, description="tokens per query given to the encoder")
    quantize: Literal["int8", "none"] = Field(
        "int8", description="dynamic int8 quantisation of the encoder's Linear layers (index and queries)"
    )
    torch_threads: int = Field(
        1, ge=0, description="torch threads per embedding call (index build, queries); 0 = torch's default"
    )
    query_cache_size: int = Field(256, ge=0, description="query embeddings kept in an LRU cache; 0 = none")
    candidates: int = Field(30, ge=1, description="documents from each retriever's ranking fused")
    answer_threshold: float = Field(0.6, ge=0, le=1, description="confidence below which the bot hands over")
    tuning_path: Path = Field(
        DEFAULT_TUNING_PATH, description="fusion parameters and confidence calibration (dev split)"
    )


@lru_cache(maxsize=1)
def get_retrieval_settings() -> RetrievalSettings:
    return RetrievalSettings()
