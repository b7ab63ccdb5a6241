"""Agent script placeholders: safe, natural Chinese whatever the values."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge_base.retrieval.content import load_documents
from knowledge_base.retrieval.settings import RetrievalSettings
from knowledge_base.scripts import FALLBACKS, PLACEHOLDERS, REMEDY_LABELS, render_script
from triage_api.tickets.schemas import Remedy

SCRIPTS = [d for d in load_documents(RetrievalSettings().content_dir) if d.kind == "script"]
ALL_PLACEHOLDERS = "".join(f"[{{{name}}}]" for name in PLACEHOLDERS)
values_strategy = st.dictionaries(
    st.sampled_from(PLACEHOLDERS),
    st.none() | st.text(max_size=60) | st.integers(),
    max_size=len(PLACEHOLDERS),
)


def test_scripts_use_only_known_placeholders() -> None:
    used = {name for script in SCRIPTS for name in re.findall(r"\{(\w+)\}", script.text)}
    assert used <= set(PLACEHOLDERS)


def test_missing_values_read_as_natural_phrases() -> None:
    template = "您好，我是{agent_name}。{order_id}会{deadline}处理，{remedy}，{product}，{ticket_id}"
    rendered = render_script(template)
    assert rendered.text == "您好，我是客服。您的订单会尽快处理，相应的处理，您购买的商品，您的工单"
    assert set(rendered.defaulted) == set(PLACEHOLDERS)


def test_values_are_rendered_in_chinese() -> None:
    rendered = render_script(
        "{order_id}：为您办理{remedy}，会{deadline}寄出，{ticket_id}",
        {
            "order_id": "jd-2025-1123-4567",
            "remedy": "exchange",
            "deadline": "2025-11-24T02:00:00+00:00",
            "ticket_id": "T20251123K7Q2M9XA",
        },
    )
    assert rendered.text == "订单JD202511234567：为您办理换货，会在11月24日10:00前寄出，工单T20251123K7Q2M9XA"


def test_a_deadline_reads_as_beijing_time_or_as_written() -> None:
    assert render_script("{deadline}", {"deadline": "2025-11-24T15:30:00Z"}).text == "在11月24日23:30前"
    assert render_script("{deadline}", {"deadline": "2025-11-24"}).text == "在11月24日前"
    assert render_script("{deadline}", {"deadline": "24小时内"}).text == "24小时内"


def test_every_taxonomy_remedy_has_a_chinese_label_or_falls_back() -> None:
    for remedy in Remedy:
        text = render_script("{remedy}", {"remedy": remedy.value}).text
        assert re.fullmatch(r"[\u4e00-\u9fff]+", text), remedy
    assert set(REMEDY_LABELS) | {"unsure"} == {r.value for r in Remedy}


@pytest.mark.parametrize(
    "value", ["{ticket_id}", "{0.__class__}", "{order_id!r:>10}", "%s%d", "None", "null"]
)
def test_values_cannot_inject_placeholders_or_format_fields(value: str) -> None:
    text = render_script("我是{agent_name}，{order_id}", {"agent_name": value, "order_id": value}).text
    assert "{" not in text and "}" not in text and "None" not in text
    assert "工单" not in text  # a placeholder inside a value is text, never expanded


def test_a_phone_number_is_never_shown_as_an_order() -> None:
    assert render_script("{order_id}", {"order_id": "13812345678"}).text == FALLBACKS["order_id"]


def test_unknown_placeholders_are_left_as_written() -> None:
    rendered = render_script("{order_id}与{coupon_code}", {"coupon_code": "X"})
    assert rendered.text == "您的订单与{coupon_code}" and rendered.unknown == ("coupon_code",)


@given(values=values_strategy)
def test_any_values_fill_every_real_script_without_braces_or_none(values: dict[str, object]) -> None:
    given_none = any("none" in str(v).lower() for v in values.values() if v is not None)
    for script in SCRIPTS:
        text = render_script(script.text, values).text
        assert "{" not in text and "}" not in text
        assert given_none or "None" not in text


@given(values=values_strategy)
def test_every_placeholder_is_either_filled_or_defaulted(values: dict[str, object]) -> None:
    rendered = render_script(ALL_PLACEHOLDERS, values)
    assert set(rendered.filled) | set(rendered.defaulted) == set(PLACEHOLDERS)
    assert not set(rendered.filled) & set(rendered.defaulted)
