"""The triage policy: severity, signals with negation, routing and deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from triage_api.core.settings import Settings
from triage_api.tickets.schemas import Channel, IssueType, Queue, Remedy, Responsibility, Severity
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


# ----- money still being taken


def test_money_still_being_taken_is_urgent_and_goes_to_payment_risk() -> None:
    decision = decide(IssueType.other, "自动续费每个月都在扣钱，关都关不掉")
    assert (decision.severity, decision.queue) == (Severity.urgent, Queue.payment_risk)


def test_a_charge_already_stopped_is_not_money_at_risk() -> None:
    decision = decide(IssueType.payment_security, "昨天又被扣了一笔", "不过卡已经冻结了")
    assert decision.severity is Severity.important
    assert any("withdrawn" in line for line in decision.explain)


def test_charging_that_starts_again_counts_again() -> None:
    decision = decide(IssueType.payment_security, "卡已经冻结了", "今天又在扣钱")
    assert decision.severity is Severity.urgent


# ----- repeat complaints, responsibility, complexity


def repeat(on_order: int = 0, by_customer: int = 0, issue_type: IssueType = IssueType.promotion_rules):
    return POLICY.decide(
        issue_type=issue_type,
        channel=Channel.app_chat,
        vip=False,
        shopper_texts=["券用不了"],
        created_at=NOW,
        earlier_on_order=on_order,
        earlier_by_customer=by_customer,
    )


def test_a_second_complaint_about_the_same_order_is_important_and_complex() -> None:
    decision = repeat(on_order=1)
    assert (decision.severity, decision.complexity, decision.repeat) == (Severity.important, "complex", True)


def test_one_earlier_complaint_by_the_customer_about_something_else_does_not_count() -> None:
    assert repeat(by_customer=1).severity is Severity.normal
    assert repeat(by_customer=2).severity is Severity.important


@pytest.mark.parametrize(
    ("text", "responsibility"),
    [
        ("三天了还没发货", Responsibility.merchant),
        ("快递三天没更新了，一直在中转", Responsibility.logistics),
        ("是我自己填错地址了", Responsibility.customer),
    ],
)
def test_what_the_shopper_said_refines_responsibility(text: str, responsibility: Responsibility) -> None:
    assert decide(IssueType.logistics_delay, text).responsibility is responsibility


@pytest.mark.parametrize(
    ("remedy", "text"), [(Remedy.investigate, "给个说法"), (None, "不处理我就找记者曝光")]
)
def test_investigations_and_public_exposure_are_complex(remedy: Remedy | None, text: str) -> None:
    decision = POLICY.decide(
        issue_type=IssueType.service_complaint,
        channel=Channel.app_chat,
        vip=False,
        shopper_texts=[text],
        created_at=NOW,
        remedy=remedy,
    )
    assert decision.complexity == "complex"
    assert decision.resolution_due - NOW == timedelta(hours=72)


# ----- priority: severity band, then escalated, then VIP, then repeat, then earlier deadline

RANK = {Severity.urgent: 0, Severity.important: 1, Severity.normal: 2}
deadlines = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2045, 1, 1), timezones=st.just(timezone.utc)
)
cases = st.fixed_dictionaries(
    {
        "severity": st.sampled_from(list(Severity)),
        "vip": st.booleans(),
        "escalated": st.booleans(),
        "repeat": st.booleans(),
        "resolution_due": deadlines,
    }
)


def served_first(a: dict, b: dict) -> bool:
    return POLICY.priority(**a) < POLICY.priority(**b)


@given(a=cases, b=cases)
def test_higher_severity_is_always_served_first(a: dict, b: dict) -> None:
    if RANK[a["severity"]] < RANK[b["severity"]]:
        assert served_first(a, b)


@given(a=cases, b=cases)
def test_within_a_severity_escalated_tickets_come_first(a: dict, b: dict) -> None:
    b = {**b, "severity": a["severity"]}
    if a["escalated"] and not b["escalated"]:
        assert served_first(a, b)


@given(a=cases, b=cases)
def test_vip_first_within_severity(a: dict, b: dict) -> None:
    b = {**b, "severity": a["severity"], "escalated": a["escalated"]}
    if a["vip"] and not b["vip"]:
        assert served_first(a, b)


@given(a=cases, b=cases)
def test_repeat_complaints_before_first_ones_of_the_same_standing(a: dict, b: dict) -> None:
    b = {**b, "severity": a["severity"], "escalated": a["escalated"], "vip": a["vip"]}
    if a["repeat"] and not b["repeat"]:
        assert served_first(a, b)


@given(a=cases, gap=st.integers(min_value=1, max_value=10**8))
def test_otherwise_the_earlier_deadline_first(a: dict, gap: int) -> None:
    later = {**a, "resolution_due": a["resolution_due"] + timedelta(seconds=gap)}
    assert served_first(a, later)


@given(
    issue_type=st.sampled_from(list(IssueType)),
    channel=st.sampled_from(list(Channel)),
    chatter=st.text(max_size=60),
)
def test_a_vip_case_is_served_before_the_same_case_from_anyone_else(
    issue_type: IssueType, channel: Channel, chatter: str
) -> None:
    vip = decide(issue_type, chatter, channel=channel, vip=True)
    regular = decide(issue_type, chatter, channel=channel)
    assert vip.severity is regular.severity
    assert vip.priority < regular.priority


@given(
    issue_type=st.sampled_from(list(IssueType)),
    on_order=st.integers(0, 5),
    by_customer=st.integers(0, 5),
    chatter=st.text(max_size=60),
)
def test_repeats_only_ever_raise_severity(
    issue_type: IssueType, on_order: int, by_customer: int, chatter: str
) -> None:
    first = decide(issue_type, chatter)
    again = POLICY.decide(
        issue_type=issue_type,
        channel=Channel.app_chat,
        vip=False,
        shopper_texts=[chatter],
        created_at=NOW,
        earlier_on_order=on_order,
        earlier_by_customer=by_customer,
    )
    assert RANK[again.severity] <= RANK[first.severity]


@pytest.mark.parametrize(
    "bonuses",
    [
        {"escalation_bonus": 0.3, "vip_bonus": 0.25, "repeat_bonus": 0.1},  # escalation < vip + repeat
        {"escalation_bonus": 0.5, "vip_bonus": 0.15, "repeat_bonus": 0.1},  # vip < repeat + deadline
        {"escalation_bonus": 0.9, "vip_bonus": 0.4, "repeat_bonus": 0.2},  # leaves the severity band
    ],
)
def test_a_policy_whose_bonuses_would_reorder_the_bands_is_refused(bonuses: dict) -> None:
    raw = yaml.safe_load(Settings().policy_path.read_text(encoding="utf-8"))
    raw["priority"].update(bonuses)
    with pytest.raises(ValueError, match=r"priority|severity ranks"):
        TriagePolicy(raw)


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("你们就是骗子，黑店", True),
        ("我已经第三次找你们了还不处理", True),
        ("我不是说你们是骗子", False),
        ("这个口红颜色好坑人哦", False),
    ],
)
def test_strong_anger_is_read_as_meant(text: str, meant: bool) -> None:
    signals = {hit.signal for hit in POLICY.read_signals([text]).hits}
    assert ("strong_anger" in signals) is meant
