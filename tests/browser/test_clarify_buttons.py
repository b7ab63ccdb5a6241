"""A shopper the bot did not understand picks one of the offered readings with a click."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from devstack.stack import Stack
from knowledge_base.labels import intent_choices, shopper_message

pytestmark = pytest.mark.e2e

WAIT_MS = 30_000


def test_the_offered_readings_are_buttons_and_a_click_is_understood(
    browser: Browser, stack: Stack, artifacts: Path
) -> None:
    window = browser.new_context(viewport={"width": 480, "height": 860}, locale="zh-CN")
    try:
        page = window.new_page()
        page.goto(f"{stack.triage_url}/chat")
        page.fill("#text", "嘀嘀嗒嗒 咚咚锵")  # nonsense the model falls back on (tests/e2e/test_clarify.py)
        page.click("#composer button[type=submit]")
        expect(page.locator(".bubble.bot").last).to_contain_text("您是想", timeout=WAIT_MS)
        chips = page.locator(".chip")
        expect(chips.first).to_be_visible(timeout=WAIT_MS)
        titles = chips.all_inner_texts()
        offered = {c["title"] for c in intent_choices().values()}
        assert "转人工" in titles and set(titles) <= offered | {"转人工"}, titles
        page.screenshot(path=str(artifacts / "0-shopper-asked-which-reading.png"))

        reading = next(t for t in titles if t != "转人工")  # a reading, not a handoff
        bot_bubbles = page.locator(".bubble.bot").count()
        page.get_by_role("button", name=reading).first.click()
        expect(page.locator(".bubble.bot")).to_have_count(bot_bubbles + 1, timeout=WAIT_MS)
        answer = page.locator(".bubble.bot").last.inner_text()
        assert "您是想" not in answer and shopper_message("misunderstood_handoff") not in answer, answer
        page.screenshot(path=str(artifacts / "0-shopper-picked-a-reading.png"))
    finally:
        window.close()
