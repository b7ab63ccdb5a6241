"""The triage policy: severity, signals with negation, routing and deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triage_api.core.settings import Settings
from triage_api.tickets.schemas import Channel, IssueType, Queue, Severity
from triage_api.triage.policy import TriagePolicy

POLICY = TriagePolicy.load(Settings().policy_path)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def decide(issue_type: IssueType, *texts: str, channel: Channel = Channel.app_chat, vip: bool = False):
    return POLICY.decide(
        issue_type=issue_type, channel=channel, vip=vip, shopper_texts=list(texts), created_at=NOW
    )


@pytest.mark.parametrize(
    "text",
    [
        "吃了你们的螺蛳粉拉肚子拉了一晚上",
        "充电宝充着充着冒烟了",
        "孩子误食了玩具零件",
        "不处理我就找媒体曝光",
        "我已经打了12315",
        "账号还在别人手里，一直在扣钱",
    ],
)
def test_urgent_signals_raise_severity(text: str) -> None:
    assert decide(IssueType.logistics_delay, text).severity is Severity.urgent


@pytest.mark.parametrize(
    "text",
    [
        "我不会去12315的，就想快点退款",
        "气得我冒烟了",
        "这件烫画T恤掉色",
        "这款是爆款吗",
    ],
)
def test_negated_or_figurative_mentions_do_not_count(text: str) -> None:
    assert decide(IssueType.logistics_delay, text).severity is Severity.normal


def test_safety_signal_routes_to_safety_queue_whatever_the_issue_type() -> None:
    assert decide(IssueType.quality_defect, "用了这个面膜脸过敏红肿").queue is Queue.safety


def test_message_channel_gets_thirty_minutes_for_first_response() -> None:
    decision = decide(IssueType.promotion_rules, "优惠券用不了", channel=Channel.message)
    assert decision.first_response_due - NOW == timedelta(minutes=30)


def test_vip_gets_urgent_first_response_and_goes_first() -> None:
    vip = decide(IssueType.promotion_rules, "券用不了", channel=Channel.message, vip=True)
    regular = decide(IssueType.promotion_rules, "券用不了", channel=Channel.message)
    assert vip.first_response_due - NOW == timedelta(minutes=5)
    assert vip.priority < regular.priority
    assert vip.severity is regular.severity


def test_complex_cases_get_seventy_two_hours() -> None:
    assert decide(IssueType.quality_defect, "鞋子开胶了").resolution_due - NOW == timedelta(hours=72)
    assert decide(IssueType.logistics_delay, "还没发货").resolution_due - NOW == timedelta(hours=24)


@given(
    issue_type=st.sampled_from(list(IssueType)),
    channel=st.sampled_from(list(Channel)),
    vip=st.booleans(),
    chatter=st.text(max_size=60),
)
def test_every_safety_hazard_is_urgent_and_in_the_safety_queue(
    issue_type: IssueType, channel: Channel, vip: bool, chatter: str
) -> None:
    decision = decide(IssueType.safety_hazard, chatter, channel=channel, vip=vip)
    assert decision.severity is Severity.urgent
    assert decision.queue is Queue.safety


@given(issue_type=st.sampled_from(list(IssueType)), chatter=st.text(max_size=80))
def test_signals_only_raise_severity(issue_type: IssueType, chatter: str) -> None:
    order = [Severity.normal, Severity.important, Severity.urgent]
    base = POLICY.severity_by_issue_type[issue_type]
    assert order.index(decide(issue_type, chatter).severity) >= order.index(base)


@given(issue_type=st.sampled_from(list(IssueType)), channel=st.sampled_from(list(Channel)))
def test_urgent_cases_are_answered_within_five_minutes(issue_type: IssueType, channel: Channel) -> None:
    decision = decide(issue_type, "我要找媒体曝光你们", channel=channel)
    assert decision.severity is Severity.urgent
    assert decision.first_response_due - NOW <= timedelta(minutes=5)
