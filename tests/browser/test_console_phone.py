"""The shopper's phone in the console: a number to call for the agent holding the case, the masked
form without a link once they let it go."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from devstack.stack import Stack

pytestmark = pytest.mark.e2e

WAIT_MS = 30_000
PHONE = "13812345678"


def test_only_the_holder_gets_a_number_to_call(browser: Browser, stack: Stack, artifacts: Path) -> None:
    handoff = {
        "conversation_id": "browser-phone-1",
        "channel": "app_chat",
        "order_id": None,
        "issue_type": "promotion_rules",
        "transcript": [{"role": "user", "text": "优惠券用不了，回电 13812345678"}],
        "customer": {"id": "browser-phone-shopper", "phone": PHONE},
        "reason": "intake_complete",
    }
    created = httpx.post(
        f"{stack.triage_url}/api/v1/handoffs",
        json=handoff,
        headers={"Authorization": f"Bearer {stack.tokens.bot}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    assert created.json()["customer"]["phone"] == "138****5678"  # the bot holds nothing

    window = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        agent = window.new_page()
        agent.goto(f"{stack.triage_url}/console")
        agent.fill("#token", stack.tokens.agent)
        agent.click("#sign-in-form button")
        general = agent.locator('.queue[data-queue="general"]')
        expect(general.locator(".count")).not_to_have_text("0", timeout=WAIT_MS)
        general.get_by_role("button", name="领取下一个").click()
        expect(agent.locator(".ticket-head h2")).to_contain_text(created.json()["id"], timeout=WAIT_MS)
        phone = agent.locator(".facts .contact dd")
        call = phone.locator("a.call")
        expect(call).to_have_attribute("href", f"tel:{PHONE}", timeout=WAIT_MS)
        expect(agent.locator("#transcript")).to_contain_text(PHONE)
        agent.screenshot(path=str(artifacts / "phone-1-holder-can-call.png"))

        agent.select_option("#transfer-queue", "refunds")
        agent.fill("#transfer-reason", "退款组处理")
        agent.click("#transfer")
        expect(phone).to_have_text("138****5678", timeout=WAIT_MS)
        expect(call).to_have_count(0)
        expect(agent.locator("#transcript")).not_to_contain_text(PHONE)
        agent.screenshot(path=str(artifacts / "phone-2-let-go-masked.png"))
    finally:
        window.close()
