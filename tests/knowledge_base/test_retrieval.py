"""Hybrid retrieval with the real m3e-small model over the real content."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import build_index, is_stale, read_stamp
from knowledge_base.retrieval.params import CALIBRATION_FEATURES, Tuning
from knowledge_base.retrieval.search import Retriever
from knowledge_base.retrieval.settings import REPO_ROOT, RetrievalSettings
from knowledge_base.retrieval.tune import DEV_OFF_TOPIC
from knowledge_base.textnorm import normalize

FAQ_TOPICS = REPO_ROOT.parent / "shared" / "spec" / "faq_topics.yaml"
BENCH_DATA = REPO_ROOT / "bench" / "data"


def _texts(path: Path, key: str = "queries") -> set[str]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))[key]
    return {normalize(str(e["q"] if isinstance(e, dict) else e)) for e in entries}


def test_every_required_faq_topic_has_an_entry(retriever: Retriever) -> None:
    ids = {d.id for d in retriever.index.documents if d.kind == "faq"}
    if FAQ_TOPICS.exists():
        assert set(yaml.safe_load(FAQ_TOPICS.read_text(encoding="utf-8"))) <= ids


def test_benchmark_queries_are_never_indexed_or_used_for_tuning(retriever: Retriever) -> None:
    indexed = {normalize(text) for text in retriever.index.view_text}
    held_out = _texts(BENCH_DATA / "retrieval_heldout.yaml") | _texts(BENCH_DATA / "retrieval_offtopic.yaml")
    assert held_out & indexed == set()
    assert held_out & _texts(DEV_OFF_TOPIC) == set()


def test_paraphrase_finds_its_faq_first(retriever: Retriever) -> None:
    hits = retriever.search("钱退回来要等几天啊", k=3, kind="faq")
    assert hits[0].document.id == "refund.timeline"


def test_pinyin_abbreviations_and_typos_still_match(retriever: Retriever) -> None:
    hits = retriever.search("yfx咋理赔", k=3, kind="faq", mode="bm25")
    assert hits[0].document.id == "return.shipping_fee"


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


def test_results_are_best_first_in_every_mode(retriever: Retriever) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        scores = [hit.score for hit in retriever.search("退货运费谁出", k=10, mode=mode)]
        assert scores == sorted(scores, reverse=True), mode


def test_confident_on_a_real_question_not_on_chatter(retriever: Retriever) -> None:
    threshold = RetrievalSettings().answer_threshold
    question = retriever.search("退款多久能到账", k=1, kind="faq")[0]
    chatter = [retriever.search(text, k=1, kind="faq")[0] for text in ("主播今天的口红色号真好看", "在干嘛")]
    assert question.confidence > 0.8
    assert all(hit.confidence < threshold for hit in chatter)


def test_confidence_of_the_best_hit_exceeds_the_runners_up(retriever: Retriever) -> None:
    hits = retriever.search("包裹被快递员弄破了怎么办", k=5, kind="faq")
    assert hits[0].confidence == max(hit.confidence for hit in hits)


def test_the_tuning_file_holds_every_calibration_feature() -> None:
    tuning = Tuning.load(RetrievalSettings().tuning_path)
    assert set(tuning.calibration.weights) == set(CALIBRATION_FEATURES)
    assert tuning.dev_metrics["hybrid"]["mrr"] >= tuning.dev_metrics["dense"]["mrr"]


def test_cached_and_uncached_query_embeddings_agree(embedder: Embedder) -> None:
    first = embedder.encode_query("退货地址在哪看", cached=False)
    cached = embedder.encode_query("退货地址在哪看")
    again = embedder.encode_query("退货地址在哪看")
    assert again is cached
    assert np.allclose(first, cached)


def test_query_and_document_paths_embed_identically(embedder: Embedder) -> None:
    text = "买小了一码，想换大一号的"
    similarity = embedder.encode([text])[0] @ embedder.encode_query(text, cached=False)[0]
    assert float(similarity) == pytest.approx(1.0)


def test_empty_and_huge_queries_are_handled(retriever: Retriever) -> None:
    assert retriever.search("   ", k=3) == []
    assert retriever.search("😂😂", k=3) == []
    assert len(retriever.search("退款" * 5000, k=3)) <= 3


def test_index_is_stale_when_content_changes(tmp_path: Path, embedder: Embedder) -> None:
    content = tmp_path / "content"
    shutil.copytree(RetrievalSettings().content_dir, content)
    index_dir = tmp_path / "index"
    (content / "scripts.yaml").write_text("version: 1\nscripts: []\n", encoding="utf-8")
    faq = yaml.safe_load((content / "faq.yaml").read_text(encoding="utf-8"))
    faq["entries"] = faq["entries"][:3]
    (content / "faq.yaml").write_text(yaml.safe_dump(faq, allow_unicode=True), encoding="utf-8")
    build_index(content, index_dir, embedder, progress=False)
    assert not is_stale(index_dir, content, embedder.model_name, embedder.encoder_id)
    assert is_stale(index_dir, content, embedder.model_name, "none/128")
    with (content / "faq.yaml").open("a", encoding="utf-8") as handle:
        handle.write("\n# edited\n")
    assert is_stale(index_dir, content, embedder.model_name, embedder.encoder_id)
    stamp = read_stamp(index_dir)
    assert stamp is not None and stamp.model == embedder.model_name and stamp.encoder == embedder.encoder_id
