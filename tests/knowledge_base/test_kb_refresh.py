"""The API's knowledge base rebuilds after a content edit and swaps the new index in while
searches keep running against the old one."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import yaml

from knowledge_base.retrieval.embedder import Embedder
from knowledge_base.retrieval.index import ensure_index, load_index
from knowledge_base.retrieval.search import Retriever
from knowledge_base.retrieval.settings import RetrievalSettings
from triage_api.kb.service import KnowledgeBase

NEW_ENTRY = {
    "id": "gift.wrapping",
    "category": "gift",
    "title": "礼品包装和贺卡怎么选",
    "answer": "下单时在“备注”里写明需要礼品包装和贺卡内容，商家会按备注包装。",
    "questions": ["能帮我包成礼物吗", "可以加一张贺卡吗"],
    "issue_types": [],
}


def _small_content(directory: Path, source: Path) -> None:
    """A few real FAQ entries, so that each build takes seconds, not minutes."""
    directory.mkdir()
    faq = yaml.safe_load((source / "faq.yaml").read_text(encoding="utf-8"))
    faq["entries"] = faq["entries"][:6]
    (directory / "faq.yaml").write_text(yaml.safe_dump(faq, allow_unicode=True), encoding="utf-8")
    (directory / "scripts.yaml").write_text("version: 1\nscripts: []\n", encoding="utf-8")


def test_an_edit_is_swapped_in_without_failing_requests(
    tmp_path: Path, embedder: Embedder, kb_settings: RetrievalSettings
) -> None:
    content = tmp_path / "content"
    _small_content(content, kb_settings.content_dir)
    settings = kb_settings.model_copy(update={"content_dir": content, "index_dir": tmp_path / "index"})
    knowledge_base = KnowledgeBase(settings, embedder=embedder)
    answers: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_searching() -> None:
        while not stop.is_set():
            try:
                retriever = knowledge_base.live.current
                assert retriever is not None
                answers.append(retriever.search("退款要多久才能到账", k=3, kind="faq")[0].document.id)
            except BaseException as error:  # any failure is what this test looks for
                errors.append(error)

    async def edit_while_searching() -> tuple[bool, bool, Retriever | None]:
        first_load = await knowledge_base.refresh()
        before = knowledge_base.live.current
        unchanged = await knowledge_base.refresh()
        searchers = [threading.Thread(target=keep_searching) for _ in range(2)]
        for searcher in searchers:
            searcher.start()
        faq = yaml.safe_load((content / "faq.yaml").read_text(encoding="utf-8"))
        faq["entries"].append(NEW_ENTRY)
        (content / "faq.yaml").write_text(yaml.safe_dump(faq, allow_unicode=True), encoding="utf-8")
        swapped = await knowledge_base.refresh()
        await asyncio.sleep(0.2)  # a few searches against the new index too
        stop.set()
        for searcher in searchers:
            searcher.join()
        return first_load and not unchanged, swapped, before

    loaded, swapped, before = asyncio.run(edit_while_searching())
    after = knowledge_base.live.current
    assert loaded and swapped and after is not None and after is not before
    assert errors == [] and len(answers) > 10 and set(answers) == {"refund.timeline"}
    assert after.search("想把它包成礼物送人", k=1, kind="faq")[0].document.id == "gift.wrapping"


def test_many_workers_finding_a_stale_index_build_it_once_and_all_load_it(
    tmp_path: Path, embedder: Embedder, kb_settings: RetrievalSettings
) -> None:
    """Several API workers start at once on an edited content folder (flock locks work the same
    between threads with their own file handles as between processes)."""
    content, index_dir = tmp_path / "content", tmp_path / "index"
    _small_content(content, kb_settings.content_dir)
    built: list[bool] = []
    loaded: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            built.append(ensure_index(content, index_dir, embedder))
            loaded.append(load_index(index_dir).stamp.content_hash)
        except BaseException as error:  # any failure is what this test looks for
            errors.append(error)

    workers = [threading.Thread(target=worker) for _ in range(4)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert errors == [] and sorted(built) == [False, False, False, True]
    assert len(set(loaded)) == 1 and len(loaded) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "index", "index.lock"]
