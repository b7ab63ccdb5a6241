"""`make bench`'s report rewrites only its generated part of docs/performance.md."""

from __future__ import annotations

import sys

import pytest

from devstack.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from report import BEGIN, BENCHES, END, check_markers, rewrite, sections_of

DOC = "# Performance\n\nIntro.\n\n## NLU (`bench/nlu.py`)\n\nHand-written history.\n"


def section(key: str, body: str) -> str:
    return f"<!-- bench:{key} -->\n### {key}\n\n```text\n{body}\n```\n<!-- /bench:{key} -->"


def test_the_first_run_goes_between_the_introduction_and_the_history() -> None:
    text = rewrite(DOC, {"nlu": section("nlu", "accuracy 0.9")})
    assert text.startswith("# Performance\n\nIntro.\n\n" + BEGIN)
    assert text.endswith(END + "\n## NLU (`bench/nlu.py`)\n\nHand-written history.\n")
    assert "accuracy 0.9" in text


def test_a_rerun_of_some_benchmarks_keeps_the_others_and_the_hand_written_text() -> None:
    first = rewrite(DOC, {"nlu": section("nlu", "accuracy 0.9"), "turns": section("turns", "p95 186")})
    second = rewrite(first, {"turns": section("turns", "p95 150")})
    assert "accuracy 0.9" in second and "p95 150" in second and "p95 186" not in second
    assert second.count(BEGIN) == second.count(END) == 1
    assert second.split(END, 1)[1] == first.split(END, 1)[1]  # the history is untouched
    # Sections stay in the order of BENCHES, whatever order they were run in.
    keys = list(sections_of(second))
    assert keys == [b.key for b in BENCHES if b.key in keys] == ["nlu", "turns"]


def test_broken_markers_are_refused_before_anything_runs() -> None:
    only_begin = rewrite(DOC, {}).replace(END, "")
    swapped = f"# P\n\n{END}\n{BEGIN}\n## NLU\n"
    for text in (only_begin, swapped, only_begin + BEGIN, "# P\n\nno sections at all\n"):
        with pytest.raises(ValueError):
            check_markers(text)
    check_markers(DOC)  # no generated part yet: fine
    check_markers(rewrite(DOC, {}))
