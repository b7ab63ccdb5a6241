"""Hybrid retrieval with the real m3e-small model over the real content."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import build_index, is_stale, read_stamp
from knowledge_base.retrieval.search import Retriever
from knowledge_base.retrieval.settings import RetrievalSettings

FAQ_TOPICS = Path(__file__).resolve().parents[3] / "shared" / "spec" / "faq_topics.yaml"


def test_every_required_faq_topic_has_an_entry(retriever: Retriever) -> None:
    ids = {d.id for d in retriever.index.documents if d.kind == "faq"}
    if FAQ_TOPICS.exists():
        assert set(yaml.safe_load(FAQ_TOPICS.read_text(encoding="utf-8"))) <= ids


def test_paraphrase_finds_its_faq_first(retriever: Retriever) -> None:
    hits = retriever.search("钱退回来要等几天啊", k=3, kind="faq")
    assert hits[0].document.id == "refund.timeline"


def test_traditional_characters_and_emoji_find_the_same_answer(retriever: Retriever) -> None:
    simplified = retriever.search("退款多久到账", k=1, kind="faq")[0].document.id
    traditional = retriever.search("退款多久到賬😭😭", k=1, kind="faq")[0].document.id
    assert simplified == traditional


def test_kind_filter_returns_only_scripts(retriever: Retriever) -> None:
    hits = retriever.search("客户很生气怎么安抚", k=5, kind="script")
    assert hits and all(hit.document.kind == "script" for hit in hits)


def test_issue_type_filter_keeps_matching_or_general_documents(retriever: Retriever) -> None:
    hits = retriever.search("怎么说明解决方案", k=10, kind="script", issue_type="safety_hazard")
    assert all(not h.document.issue_types or "safety_hazard" in h.document.issue_types for h in hits)


def test_confident_on_a_real_question_not_on_chatter(retriever: Retriever) -> None:
    question = retriever.search("退款多久能到账", k=1, kind="faq")[0]
    chatter = retriever.search("主播今天的口红色号真好看", k=1, kind="faq")[0]
    assert question.confidence > 0.8 > chatter.confidence


def test_empty_and_huge_queries_are_handled(retriever: Retriever) -> None:
    assert retriever.search("   ", k=3) == []
    assert len(retriever.search("退款" * 5000, k=3)) <= 3


def test_index_is_stale_when_content_changes(tmp_path: Path, embedder: Embedder) -> None:
    content = tmp_path / "content"
    shutil.copytree(RetrievalSettings().content_dir, content)
    index_dir = tmp_path / "index"
    (content / "scripts.yaml").write_text("version: 1\nscripts: []\n", encoding="utf-8")
    build_index(content, index_dir, embedder, progress=False)
    assert not is_stale(index_dir, content, embedder.model_name)
    with (content / "faq.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\n# edited\n")
    assert is_stale(index_dir, content, embedder.model_name)
    stamp = read_stamp(index_dir)
    assert stamp is not None and stamp.model == embedder.model_name
