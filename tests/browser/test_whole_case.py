"""A whole case as people do it, in two browsers: the shopper in the chat page, the agent in
the console, through the real bot, action server, triage API and Redis."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from devstack.stack import Stack

pytestmark = pytest.mark.e2e

COMPLAINT = "订单2025112312345678的快递一直没更新，我要退款"
WAIT_MS = 30_000


def shopper_says(page: Page, text: str) -> None:
    page.fill("#text", text)
    page.click("#composer button[type=submit]")


def test_shopper_and_agent_close_a_case_together(browser: Browser, stack: Stack, artifacts: Path) -> None:
    shopper_window = browser.new_context(viewport={"width": 480, "height": 860}, locale="zh-CN")
    agent_window = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        walk_the_whole_case(shopper_window.new_page(), agent_window.new_page(), stack, artifacts)
    finally:  # closing the pages closes their push streams
        shopper_window.close()
        agent_window.close()


def walk_the_whole_case(shopper: Page, agent: Page, stack: Stack, artifacts: Path) -> None:

    # The shopper tells the bot the whole story at once and confirms the summary.
    shopper.goto(f"{stack.triage_url}/chat")
    shopper_says(shopper, COMPLAINT)
    expect(shopper.locator(".bubble.bot").last).to_contain_text("核对", timeout=WAIT_MS)
    shopper_says(shopper, "是的")
    expect(shopper.locator(".bubble.bot").last).to_contain_text("工单号", timeout=WAIT_MS)
    expect(shopper.locator("#case")).to_contain_text("专员服务中", timeout=WAIT_MS)
    conversation = shopper.evaluate("JSON.parse(sessionStorage.getItem('chat-session')).conversation_id")
    shopper.screenshot(path=str(artifacts / "1-shopper-handed-over.png"))

    # The agent signs in, sees the logistics queue waiting, claims the case.
    agent.goto(f"{stack.triage_url}/console")
    agent.fill("#token", stack.tokens.agent)
    agent.click("#sign-in-form button")
    logistics = agent.locator('.queue[data-queue="logistics"]')
    expect(logistics.locator(".count")).to_have_text("1", timeout=WAIT_MS)
    logistics.get_by_role("button", name="领取下一个").click()
    expect(agent.locator(".ticket-head h2")).to_contain_text("发货或物流延迟", timeout=WAIT_MS)
    expect(agent.locator(".facts")).to_contain_text("2025112312345678")
    expect(agent.locator(".facts")).to_contain_text("仅退款")
    expect(agent.locator("#transcript")).to_contain_text(COMPLAINT)

    # A suggested script, with the order number filled in, goes into the reply box in one click.
    first_script = agent.locator("#scripts .suggestion").first
    expect(first_script).to_be_visible(timeout=WAIT_MS)
    first_script.get_by_role("button", name="填入回复").click()
    reply = agent.input_value("#reply-text")
    assert reply and "{" not in reply, reply
    agent.screenshot(path=str(artifacts / "2-console-claimed-with-script.png"))
    sent_at = time.monotonic()
    agent.click("#send-reply")

    # The shopper sees the agent's words without reloading, and who is now handling the case.
    expect(shopper.locator(".bubble.agent").last).to_contain_text(reply[:12], timeout=WAIT_MS)
    seen_after = time.monotonic() - sent_at
    expect(shopper.locator(".bubble.system").first).to_contain_text("已接手", timeout=WAIT_MS)

    # What the shopper writes now goes to the agent, not to a new intake.
    shopper_says(shopper, "好的，麻烦尽快")
    expect(agent.locator("#transcript")).to_contain_text("好的，麻烦尽快", timeout=WAIT_MS)
    assert "订单编号" not in shopper.locator(".bubble.bot").last.inner_text()
    shopper.screenshot(path=str(artifacts / "3-shopper-sees-agent-reply.png"))

    # The agent resolves with a remedy; the shopper is asked for a rating and gives 5.
    agent.select_option("#resolve-remedy", "refund_only")
    agent.fill("#resolve-note", "已为您办理仅退款，款项1-3个工作日原路退回")
    agent.click("#resolve")
    expect(agent.locator(".ticket-head")).to_contain_text("已解决", timeout=WAIT_MS)
    expect(shopper.locator(".bubble.rating_prompt")).to_be_visible(timeout=WAIT_MS)
    expect(shopper.locator(".bubble.system").last).to_contain_text("仅退款")
    shopper.screenshot(path=str(artifacts / "4-shopper-rating-prompt.png"))
    shopper.get_by_role("button", name="5 分 很满意").click()
    expect(shopper.locator(".bubble.bot").last).to_contain_text("感谢您的评价", timeout=WAIT_MS)
    shopper.screenshot(path=str(artifacts / "5-shopper-rated.png"))
    agent.screenshot(path=str(artifacts / "6-console-resolved.png"))

    tickets = httpx.get(
        f"{stack.triage_url}/api/v1/tickets",
        params={"conversation_id": conversation},
        headers={"Authorization": f"Bearer {stack.tokens.agent}"},
        timeout=10,
    ).json()["items"]
    assert [(t["status"], t["revisit"]["csat"]) for t in tickets] == [("closed", 5)]
    assert seen_after < 5, f"the reply took {seen_after:.1f} s to reach the shopper's screen"
