"""A real Chromium (Debian's, driven by Playwright) against the running stack; screenshots go to
`var/test-artifacts/browser/` (or $TEST_ARTIFACTS_DIR) for people to look at."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from devstack.settings import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = Path(os.environ.get("TEST_ARTIFACTS_DIR", REPO_ROOT / "var" / "test-artifacts")) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# Module scope: Playwright's sync API runs an event loop while it is alive, and later tests call
# asyncio.run(); it must be stopped before they start.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: run `make browser` (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()
