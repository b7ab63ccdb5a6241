"""Conversations after a handoff: who holds them, the shopper's messages relayed to the ticket,
the revisit answered in the chat, facts given later, and the rating parser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from knowledge_base.labels import shopper_message
from tests.triage_api.conftest import AGENT, BOT, SUPERVISOR, case, claim, open_ticket, shopper_page
from triage_api.conversations.rating import read_rating


def post(
    api: TestClient, ticket: dict[str, Any], action: str, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    return api.post(f"/api/v1/tickets/{ticket['id']}/{action}", json=body, headers=headers)


def state(api: TestClient, conversation_id: str = "conv-1") -> dict[str, Any]:
    response = api.get(f"/api/v1/conversations/{conversation_id}", headers=BOT)
    assert response.status_code == 200, response.text
    return dict(response.json())


def say(api: TestClient, text: str, conversation_id: str = "conv-1") -> dict[str, Any]:
    """The shopper's channel offers one message of the shopper's before the bot sees it."""
    response = api.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": text}, headers=BOT)
    assert response.status_code == 200, response.text
    return dict(response.json())


def view(api: TestClient, ticket: dict[str, Any]) -> dict[str, Any]:
    return dict(api.get(f"/api/v1/tickets/{ticket['id']}", headers=AGENT).json())


def assigned_ticket(api: TestClient, **overrides: Any) -> dict[str, Any]:
    ticket = open_ticket(api, **overrides)
    assert claim(api, ticket["queue"])["ticket"]["id"] == ticket["id"]
    return ticket


def resolved_ticket(api: TestClient, **overrides: Any) -> dict[str, Any]:
    ticket = assigned_ticket(api, **overrides)
    post(api, ticket, "resolve", {"remedy": "compensation", "note": "已补券"}, AGENT)
    return ticket


def facts(api: TestClient, ticket: dict[str, Any], body: dict[str, Any]) -> Any:
    return post(api, ticket, "facts", body, BOT)


# ----- who holds the conversation


def test_a_conversation_never_handed_off_is_the_bots(desk: TestClient) -> None:
    assert state(desk, "conv-never") == {
        "conversation_id": "conv-never",
        "owner": "bot",
        "ticket_id": None,
        "status": None,
        "status_text": None,
        "awaiting_rating": False,
    }


@pytest.mark.parametrize("claimed", [False, True], ids=["waiting_in_queue", "assigned"])
def test_a_handed_off_conversation_is_held_by_a_person_until_resolved(
    desk: TestClient, claimed: bool
) -> None:
    ticket = assigned_ticket(desk) if claimed else open_ticket(desk)
    held = state(desk)
    assert (held["owner"], held["ticket_id"], held["status"]) == (
        "agent",
        ticket["id"],
        "assigned" if claimed else "new",
    )


def test_a_resolved_conversation_goes_back_to_the_bot_which_awaits_the_rating(desk: TestClient) -> None:
    resolved_ticket(desk)
    held = state(desk)
    assert (held["owner"], held["status"], held["awaiting_rating"]) == ("bot", "resolved", True)


def test_after_the_revisit_no_rating_is_awaited_any_more(desk: TestClient) -> None:
    ticket = resolved_ticket(desk)
    post(desk, ticket, "revisit", {"csat": 5}, shopper_page(desk))
    held = state(desk)
    assert (held["owner"], held["status"], held["awaiting_rating"]) == ("bot", "closed", False)


def test_an_earlier_ticket_reopened_by_a_supervisor_holds_the_conversation_again(desk: TestClient) -> None:
    first = resolved_ticket(desk)
    second = resolved_ticket(desk)  # the shopper came back with another problem, solved too
    post(desk, second, "revisit", {"csat": 5}, shopper_page(desk))
    post(desk, first, "reopen", {"reason": "买家投诉券仍无法使用"}, SUPERVISOR)
    held = state(desk)
    assert (held["owner"], held["ticket_id"]) == ("agent", first["id"])


def test_only_the_shoppers_channel_asks_who_holds_a_conversation(desk: TestClient) -> None:
    open_ticket(desk)
    assert desk.get("/api/v1/conversations/conv-1", headers=AGENT).status_code == 403


# ----- the shopper writes while a person holds the conversation


def test_a_message_in_a_conversation_without_a_ticket_is_left_to_the_bot(desk: TestClient) -> None:
    assert say(desk, "你好，在吗", "conv-never")["handled"] is False


def test_a_message_to_an_open_ticket_lands_at_the_end_of_its_thread(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    relayed = say(desk, "券码是 ABC123，还是用不了")
    last = view(desk, ticket)["transcript"][-1]
    assert (relayed["handled"], relayed["relayed"], relayed["ticket_id"]) == (True, True, ticket["id"])
    assert (last["role"], last["text"]) == ("user", "券码是 ABC123，还是用不了")


def test_the_shopper_is_told_the_message_was_passed_on(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    told = {"ticket_id": ticket["id"], "status": "已受理，正在排队等待专人处理"}
    assert say(desk, "人呢？")["reply"] == shopper_message("relayed", told)


def test_a_second_message_moments_later_is_not_acknowledged_again(
    make_api: Callable[..., TestClient],
) -> None:
    api = make_api(relay_quiet_seconds=90)
    ticket = open_ticket(api)
    say(api, "人呢？")
    second = say(api, "怎么还没人理我")
    assert (second["relayed"], second["reply"]) == (True, None)
    assert view(api, ticket)["transcript"][-1]["text"] == "怎么还没人理我"


def test_without_a_quiet_period_every_message_is_acknowledged(make_api: Callable[..., TestClient]) -> None:
    api = make_api(relay_quiet_seconds=0)
    ticket = open_ticket(api)
    say(api, "人呢？")
    told = {"ticket_id": ticket["id"], "status": "已受理，正在排队等待专人处理"}
    assert say(api, "怎么还没人理我")["reply"] == shopper_message("relayed", told)


def test_the_shoppers_answer_gives_a_waiting_ticket_back_to_its_agent(desk: TestClient) -> None:
    ticket = assigned_ticket(desk)
    post(desk, ticket, "replies", {"text": "请发一下券的截图", "await_customer": True}, AGENT)
    answered = say(desk, "截图发你了")
    assert (answered["status"], view(desk, ticket)["status"]) == ("assigned", "assigned")
    assert answered["reply"] == shopper_message("relayed_waiting", {"ticket_id": ticket["id"]})


def test_only_the_shoppers_channel_relays_messages(desk: TestClient) -> None:
    open_ticket(desk)
    response = desk.post("/api/v1/conversations/conv-1/messages", json={"text": "假装是买家"}, headers=AGENT)
    assert response.status_code == 403


# ----- the revisit answered in the chat


def test_a_rating_in_the_chat_closes_the_ticket_with_the_score_and_comment(desk: TestClient) -> None:
    ticket = resolved_ticket(desk)
    answered = say(desk, "5 很满意")
    closed = view(desk, ticket)
    assert answered["handled"] is True
    assert (closed["status"], closed["revisit"]["csat"], closed["revisit"]["comment"]) == (
        "closed",
        5,
        "很满意",
    )


def test_the_shopper_is_thanked_for_a_good_rating(desk: TestClient) -> None:
    resolved_ticket(desk)
    assert say(desk, "给4星")["reply"] == shopper_message("rating_thanks", {"csat": 4})


@pytest.mark.parametrize("answer", ["没解决", "2分"])
def test_not_solved_or_a_low_score_in_the_chat_reopens_to_the_same_team(
    desk: TestClient, answer: str
) -> None:
    ticket = resolved_ticket(desk)
    answered = say(desk, answer)
    reopened = view(desk, ticket)
    assert (answered["status"], reopened["status"], reopened["queue"]) == (
        "reopened",
        "reopened",
        ticket["queue"],
    )
    assert claim(desk, ticket["queue"])["ticket"]["id"] == ticket["id"]


def test_a_reopened_conversation_is_held_by_a_person_again(desk: TestClient) -> None:
    resolved_ticket(desk)
    say(desk, "没解决")
    assert state(desk)["owner"] == "agent"


def test_a_question_after_the_resolution_is_not_taken_for_a_rating(desk: TestClient) -> None:
    ticket = resolved_ticket(desk)
    answered = say(desk, "我还想问下运费险")
    assert (answered["handled"], view(desk, ticket)["status"]) == (False, "resolved")


def test_after_the_revisit_messages_are_the_bots_again(desk: TestClient) -> None:
    ticket = resolved_ticket(desk)
    say(desk, "5")
    answered = say(desk, "4")  # a second "rating" is an ordinary message now
    assert (answered["handled"], view(desk, ticket)["revisit"]["csat"]) == (False, 5)


# ----- facts the shopper gives after the handoff


def test_an_order_number_given_later_fills_the_empty_one_canonicalised(desk: TestClient) -> None:
    ticket = open_ticket(desk, order_id=None)
    filled = facts(desk, ticket, {"order_id": "DY-2025-1123-8888"})
    assert filled.json() == {"ticket_id": ticket["id"], "filled": ["order_id"]}
    assert view(desk, ticket)["order_id"] == "DY202511238888"


def test_an_order_number_given_later_makes_the_next_complaint_about_it_a_repeat(desk: TestClient) -> None:
    ticket = open_ticket(desk, order_id=None)
    facts(desk, ticket, {"order_id": "DY-2025-1123-8888"})
    later = open_ticket(desk, **{**case(2), "order_id": "DY202511238888"})
    assert later["repeat_complaint"] is True


def test_an_order_number_given_later_lets_the_shopper_look_the_case_up(desk: TestClient) -> None:
    ticket = open_ticket(desk, order_id=None)
    facts(desk, ticket, {"order_id": "DY-2025-1123-8888"})
    lookup = desk.get(f"/api/v1/shopper/tickets/{ticket['id']}", params={"order_id": "DY202511238888"})
    assert lookup.status_code == 200


def test_facts_never_overwrite_what_the_ticket_already_has(desk: TestClient) -> None:
    ticket = open_ticket(desk)  # handed off with an order and the remedy "compensation"
    filled = facts(desk, ticket, {"order_id": "DY202511238888", "remedy": "refund_only"}).json()
    after = view(desk, ticket)
    assert filled["filled"] == []
    assert (after["order_id"], after["remedy"]) == (ticket["order_id"], "compensation")


def test_the_answer_names_every_field_the_facts_filled(desk: TestClient) -> None:
    ticket = open_ticket(desk, order_id=None, remedy=None)
    body = {"order_id": "DY202511238888", "remedy": "refund_only", "product": "电动牙刷"}
    assert facts(desk, ticket, body).json()["filled"] == ["order_id", "product", "remedy"]


def test_a_blank_product_fills_nothing(desk: TestClient) -> None:
    ticket = open_ticket(desk)
    assert facts(desk, ticket, {"product": "   "}).json()["filled"] == []


def test_filled_facts_are_in_the_audit_trail(desk: TestClient) -> None:
    ticket = open_ticket(desk, order_id=None, remedy=None)
    facts(desk, ticket, {"order_id": "DY202511238888", "remedy": "refund_only"})
    trail = desk.get(f"/api/v1/tickets/{ticket['id']}/audit", headers=AGENT).json()["entries"]
    assert [(e["actor"], e["action"], e.get("filled")) for e in trail[-1:]] == [
        ("dev-bot", "facts_filled", "order_id,remedy")
    ]


def test_only_the_shoppers_channel_adds_facts(desk: TestClient) -> None:
    ticket = open_ticket(desk, order_id=None)
    assert post(desk, ticket, "facts", {"order_id": "DY202511238888"}, AGENT).status_code == 403


# ----- reading a rating


@pytest.mark.parametrize(
    ("text", "csat", "solved"),
    [
        ("5", 5, None),
        ("给4星", 4, None),
        ("三分", 3, None),
        ("⭐⭐⭐⭐⭐ 谢谢", 5, None),
        ("没解决", None, False),
        ("1分，问题还在", 1, False),
        ("很满意", 5, True),
    ],
)
def test_rating_answers_are_read(text: str, csat: int | None, solved: bool | None) -> None:
    answer = read_rating(text)
    assert answer is not None and (answer.csat, answer.solved) == (csat, solved)


@pytest.mark.parametrize("text", ["一直没发货", "两件都坏了", "我还想问下运费险", "6", "", "0分"])
def test_ordinary_messages_are_not_ratings(text: str) -> None:
    assert read_rating(text) is None


def test_the_comment_after_a_rating_is_kept_without_the_score() -> None:
    answer = read_rating("4分，客服态度很好")
    assert answer is not None and answer.comment == "客服态度很好"


# Units and counters the parser knows go on a number: "5分钟", "2件", "3天" are never ratings.
NUMBER_GOES_ON = st.one_of(
    st.from_regex(r"[0-9]{1,6}", fullmatch=True),
    st.sampled_from(["分钟", " 分钟", "件", "个", "块", "元", "天", "小时", "秒", "号", "月", "日", "次"]),
)


@given(
    first=st.sampled_from("12345"),
    goes_on=NUMBER_GOES_ON,
    rest=st.text(alphabet="的了吗还没到货快递退款，。 ", max_size=12),
)
def test_a_number_that_goes_on_is_never_a_rating(first: str, goes_on: str, rest: str) -> None:
    assert read_rating(first + goes_on + rest) is None


# Found while writing these tests: further units, a decimal point, brand names and "一分钱" are
# read as ratings, so after a resolution "5点前能发货吗" closes the ticket with a CSAT of 5.
@pytest.mark.parametrize(
    "text",
    [
        "5点前能发货吗",
        "3周了还没到",
        "5斤装的少了",
        "2份只到了一份",
        "5折买的",
        "三星手机屏幕坏了",
        "两星期了",
        "一分钱都没退",
    ],
)
def test_known_misreadings_of_numbers_as_ratings(text: str) -> None:
    assert read_rating(text) is None
