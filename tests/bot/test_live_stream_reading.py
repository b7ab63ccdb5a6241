"""The trained model reads live-stream comments and hurried asks for what they ask.

The lines are new (none is in the training data or a held-out split): the forms of address and
link numbers of a live stream ("主播 拍的3号链接 …") are blanked before classification, and the
remedy cues read "别再拖了" / "尽快给个答复" as hurrying and "必须追究" as a request to investigate.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from devstack.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from nlu import rasa_predictions

# A live-stream comment, the same request without its wrapping, and what both ask.
WRAPPED = [
    ("主播 拍的7号链接 我的快递到哪了", "我的快递到哪了", "track_order"),
    ("小助理 12号链接的保温杯漏水 盖子拧紧了也漏", "保温杯漏水 盖子拧紧了也漏", "report_quality_defect"),
    (
        "家人们 我2号链接拍的面膜 退款申请了五天还没到账",
        "我拍的面膜 退款申请了五天还没到账",
        "report_refund_problem",
    ),
]
REMEDIES = {
    "沙发说好十五天发货 现在一个月了 别再拖了": "expedite",
    "退货寄回去一周了没人处理 尽快给我个答复": "expedite",
    "孩子用你们的水杯被烫到了 这事必须追究": "investigate",
}


@pytest.fixture(scope="module")
def read() -> dict[str, dict[str, Any]]:
    texts = [text for wrapped, bare, _ in WRAPPED for text in (wrapped, bare)] + list(REMEDIES)
    return dict(zip(texts, rasa_predictions(texts), strict=True))


def test_live_stream_address_and_link_numbers_do_not_hide_the_request(read: dict[str, Any]) -> None:
    for wrapped, bare, intent in WRAPPED:
        assert (read[wrapped]["intent"], read[bare]["intent"]) == (intent, intent)


def test_hurrying_and_investigating_are_read_from_how_shoppers_say_them(read: dict[str, Any]) -> None:
    found = {
        text: sorted({str(e["value"]) for e in read[text]["entities"] if e["entity"] == "remedy"})
        for text in REMEDIES
    }
    assert found == {text: [value] for text, value in REMEDIES.items()}
