"""The one HTTP client of the action server: calls the triage API with retries."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from actions import metrics
from actions.settings import get_settings

log = logging.getLogger(__name__)


class TriageUnavailable(Exception):
    """The triage API could not be reached or refused the request."""


_RETRYABLE = (aiohttp.ClientConnectionError, aiohttp.ServerTimeoutError, TimeoutError)
_session: Optional[aiohttp.ClientSession] = None


def _shared_session() -> aiohttp.ClientSession:
    """One pooled session for the process (created inside the server's event loop on first use)."""
    global _session
    if _session is None or _session.closed:
        settings = get_settings()
        _session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=settings.http_timeout_seconds),
            headers={"Authorization": f"Bearer {settings.triage_bot_token}"},
        )
    return _session


async def _request(call: str, method: str, path: str, **kwargs: Any) -> Dict[str, Any]:
    """`call` names the request in the failure counter (paths carry ticket ids)."""
    settings = get_settings()
    try:
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(settings.http_attempts),
            wait=wait_exponential(multiplier=0.2, max=2),
            retry=retry_if_exception_type(_RETRYABLE),
            reraise=True,
        ):
            with attempt:
                url = settings.triage_api_url.rstrip("/") + path
                async with _shared_session().request(method, url, **kwargs) as response:
                    if response.status >= 500:
                        raise aiohttp.ClientConnectionError(f"triage API {response.status}")
                    body = await response.json(content_type=None)
                    if response.status >= 400:
                        raise TriageUnavailable(f"triage API {response.status}: {body}")
                    return dict(body)
    except TriageUnavailable:
        metrics.TRIAGE_API_FAILURES.labels(call=call, reason="refused").inc()
        raise
    except _RETRYABLE as error:
        metrics.TRIAGE_API_FAILURES.labels(call=call, reason="unreachable").inc()
        raise TriageUnavailable(str(error)) from error
    raise TriageUnavailable("no attempt made")


async def create_handoff(payload: Dict[str, Any]) -> Dict[str, Any]:
    return await _request("create_handoff", "POST", "/api/v1/handoffs", json=payload)


async def tickets_of_conversation(conversation_id: str) -> Dict[str, Any]:
    return await _request(
        "tickets_of_conversation", "GET", "/api/v1/tickets", params={"conversation_id": conversation_id}
    )


async def search_faq(query: str, issue_type: Optional[str] = None) -> Dict[str, Any]:
    params = {"q": query[:500], "k": 3, "kind": "faq"}
    if issue_type:
        params["issue_type"] = issue_type
    return await _request("search_faq", "GET", "/api/v1/kb/search", params=params)


async def shopper_status(ticket_id: str, order_id: str) -> Dict[str, Any]:
    """The shopper-facing status: nothing but status, last update and next deadline."""
    return await _request(
        "shopper_status", "GET", f"/api/v1/shopper/tickets/{ticket_id}", params={"order_id": order_id}
    )
