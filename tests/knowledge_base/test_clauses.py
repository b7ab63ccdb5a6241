"""Clause focus: the request is read without the greeting, thanks or pasted card around it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge_base.clauses import focus_aligned
from knowledge_base.textnorm import normalize_aligned


def focus(text: str) -> str:
    return " ".join(focus_aligned(normalize_aligned(text)).split())


@pytest.mark.parametrize(
    ("text", "focused"),
    [
        ("你好，我买的吹风机用了两次就不转了，怎么弄啊，谢谢", "我买的吹风机用了两次就不转了,怎么弄啊"),
        ("在吗在吗？我要退款", "我要退款"),
        ("你好我的快递到哪了", "我的快递到哪了"),
        ("亲，帮我看下这个单", "帮我看下这个单"),
        ("好的，那麻烦帮我催一下发货", "那麻烦帮我催一下发货"),
        ("亲～裙子跟模特图完全两个样，麻烦处理下谢谢", "裙子跟模特图完全两个样,麻烦处理下"),
        ("謝謝你了，我的退款到現在還沒到賬，麻煩看一下，謝謝🙏", "我的退款到现在还没到账,麻烦看一下"),
    ],
)
def test_social_clauses_around_a_request_are_blanked(text: str, focused: str) -> None:
    assert focus(text) == focused


@pytest.mark.parametrize("text", ["你好", "在吗？", "好的，谢谢", "谢谢你啊客服小姐姐，辛苦啦", "嗯嗯"])
def test_a_message_that_is_only_social_keeps_everything(text: str) -> None:
    assert focus(text) == " ".join(normalize_aligned(text).split())


def test_agreement_stays_when_nothing_is_asked_after_it() -> None:
    # "是的，…" confirms the bot's summary; only a following request makes 好的/是的 wrapping.
    assert focus("是的，订单号是3402123456789012") == "是的,订单号是3402123456789012"


def test_pasted_order_card_keeps_the_number_and_the_question() -> None:
    text = "[订单编号:3402123456789012，订单金额:59.90，下单时间:2026-03-02 10:11:12] 这个怎么还没发货"
    assert focus(text) == "3402123456789012, 59.90, 这个怎么还没发货"


def test_platform_boilerplate_and_mentions_go() -> None:
    assert focus("咨询订单号:3402123456789012 商品ID:688812345678 订单业务咨询") == "3402123456789012"
    assert focus("@京东客服 @京东物流 【投诉】快递一周没动了！！！") == "投诉 快递一周没动了"


def test_a_message_that_is_only_a_mention_is_kept() -> None:
    assert focus("@某某官方旗舰店") == "@某某官方旗舰店"


@given(st.text(max_size=200))
def test_focus_keeps_the_length_so_entity_offsets_stay_valid(text: str) -> None:
    normal = normalize_aligned(text)
    assert len(focus_aligned(normal)) == len(normal)


@pytest.mark.parametrize(
    ("text", "focused"),
    [
        ("主播 拍的3号链接 啥时候能到家呀", "啥时候能到家呀"),
        ("小助理 5号链接 赶紧发货呀", "赶紧发货呀"),
        ("家人们 我拍了十天还没发货", "我拍了十天还没发货"),
        ("嗯 对 就是这个 帮我看看派送了没有", "帮我看看派送了没有"),
    ],
)
def test_live_stream_address_link_numbers_and_glued_agreement_are_blanked(text: str, focused: str) -> None:
    assert focus(text) == focused


@pytest.mark.parametrize("text", ["拍的2号链接", "主播", "对 就是我妈那个号下的单", "让那个主播出来道歉"])
def test_what_only_points_or_confirms_keeps_everything(text: str) -> None:
    assert focus(text) == " ".join(normalize_aligned(text).split())
