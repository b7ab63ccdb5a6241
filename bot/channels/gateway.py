"""The shopper's REST channel with one owner per conversation (the contract's
`POST /webhooks/rest/webhook`, same body and answer as Rasa's `rest` channel).

Before the bot sees a message, the triage API is asked whether a person holds the conversation.
If one does, the message goes into the ticket's thread (with the order number, remedy and product
the bot's NLU finds in it) and the bot stays silent but for a short acknowledgement; after the
resolution a rating-like answer is the revisit. Otherwise the bot answers as usual. If the triage
API cannot be reached, the bot answers (and a handoff it makes is stored durably).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text
from urllib.parse import quote

import aiohttp
from jsonschema import ValidationError, exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.identity import trusted_metadata
from knowledge_base.labels import label, shopper_message
from knowledge_base.textnorm import safe_json, safe_text
from pii import logs

log = logging.getLogger(__name__)
# Rasa loads this channel when it starts serving: from then on every log record of the Rasa
# process (Rasa's, Sanic's, this channel's) is masked as the other processes' are.
logs.install()

# Rasa carries on when a custom action fails (the action server is down): it logs the error, drops
# the action's events and lets the bot answer as if nothing happened, so a shopper mid-intake got
# "没太明白". The channel watches for that error during each message's turn and tells the truth.
_turn_failures: ContextVar[list[str] | None] = ContextVar("turn_failures", default=None)


# What Rasa 3.6 logs when a custom action, or the custom slot mapping of every turn, could not run.
_ACTION_FAILED = ("while running action", "Failed to execute custom action")


class ActionFailureWatch(logging.Handler):
    """Notes, for the message being handled, that one of its actions failed."""

    def emit(self, record: logging.LogRecord) -> None:
        failures = _turn_failures.get()
        if failures is not None and any(sign in str(record.msg) for sign in _ACTION_FAILED):
            failures.append(record.name)


for _logger in ("rasa.core.processor", "rasa.core.actions.action"):
    logging.getLogger(_logger).addHandler(ActionFailureWatch(level=logging.WARNING))


async def _forget_turn(request: Request, sender: str, text: str) -> None:
    """Puts the conversation back as it was before the shopper's message whose turn lost an action.

    Rasa keeps the message and what it did with the action's events missing: the form a step on,
    the confirmation taken but no handoff made. Sent again, "是的" would meet that state and be
    misunderstood. Rasa's own `rewind` event cannot help inside a form (the form's turns are not
    "applied" events, so it would undo the whole intake), so the turn's events are cut off: the
    tracker is stored again without them. Only the shopper's latest message is cut, and only if
    it is this one. RedisTrackerStore merges what it is given into what it holds, so its key is
    replaced; other stores are left as they are."""
    agent = getattr(request.app.ctx, "agent", None)
    store = getattr(agent, "tracker_store", None)
    store = getattr(store, "_tracker_store", store)  # inside Rasa's FailSafeTrackerStore
    if agent is None or not isinstance(store, RedisTrackerStore):
        log.warning("a turn lost an action; its tracker store cannot be rewound")
        return
    try:
        async with agent.lock_store.lock(sender):
            tracker = await store.retrieve_full_tracker(sender)
            events = list(tracker.events) if tracker is not None else []
            said = [i for i, event in enumerate(events) if isinstance(event, UserUttered)]
            if not said or events[said[-1]].text != text.strip():  # UserMessage strips its text
                log.warning("a turn lost an action but is not the conversation's latest: kept")
                return
            before = DialogueStateTracker.from_events(sender, events[: said[-1]], agent.domain.slots)
            store.red.delete(store.key_prefix + sender)
            await store.save(before)
            log.warning("a turn lost an action: cut off, so the resent message is read afresh")
    except Exception:  # the tracker store itself may be what is away; the busy answer still holds
        log.exception("could not rewind a turn that lost an action")


def _action_result_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


_ACTION_RESULT = _action_result_validator()


def _validate_action_result(_action: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa 3.6 checks every action server answer with `jsonschema.validate`, which first checks
    the events schema itself against its meta-schema: two thirds of the Rasa process's CPU per
    turn (py-spy, docs/performance.md). The same check of the answer, the schema checked once."""
    error = exceptions.best_match(_ACTION_RESULT.iter_errors(result))
    if error is not None:
        assert isinstance(error, ValidationError)
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid."
        )
        raise error
    return True


RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]

MAX_SENDER_CHARS = 128
MAX_MESSAGE_CHARS = 4000
MAX_BODY_BYTES = 256 * 1024
_FACT_NAMES = {"order_id": "订单号", "remedy": "期望的处理方式", "product": "商品信息"}


def _error(status: int, message: str) -> HTTPResponse:
    return response.json({"error": {"code": "bad_request", "message": message}}, status=status)


class TriageDesk:
    """The few triage API calls of the channel, with the bot's token and a short timeout."""

    def __init__(self, url: str, token: str, timeout: float) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session: Optional[aiohttp.ClientSession] = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={"Authorization": f"Bearer {self.token}"},
            )
        return self._session

    async def _post(self, path: str, body: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        try:
            async with self._client().post(self.url + path, json=body) as answer:
                if answer.status >= 400:
                    log.warning("triage API answered %s to %s", answer.status, path.split("/")[3])
                    return None
                return dict(await answer.json())
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("triage API unreachable from the channel: %s", type(error).__name__)
            return None

    async def offer(self, sender: str, text: str) -> Optional[Dict[str, Any]]:
        return await self._post(f"/api/v1/conversations/{quote(sender, safe='')}/messages", {"text": text})

    async def add_facts(self, ticket_id: str, facts: Dict[str, str]) -> List[str]:
        found = await self._post(f"/api/v1/tickets/{ticket_id}/facts", facts)
        return list((found or {}).get("filled") or [])


def as_plain_text(text: str) -> str:
    """The shopper's message with any leading slashes removed, so Rasa never reads it as a
    command (its RegexMessageHandler takes `/intent{...}` at face value)."""
    stripped = text.lstrip()
    while stripped.startswith(("/", "／")):
        stripped = stripped[1:].lstrip()
    return stripped if stripped != text.lstrip() else text


def facts_in(parsed: Dict[str, Any]) -> Dict[str, str]:
    """Order number, remedy and product the NLU found in a message (first of each)."""
    facts: Dict[str, str] = {}
    for entity in parsed.get("entities") or []:
        name, value = entity.get("entity"), entity.get("value")
        if name in _FACT_NAMES and isinstance(value, str) and value.strip() and name not in facts:
            if name == "remedy" and not label("remedy", value, default=""):
                continue
            facts[name] = value.strip()[:200]
    return facts


class GatewayRestInput(InputChannel):
    """Rasa's REST channel, with ownership: `channels.gateway.GatewayRestInput` in credentials.yml."""

    def __init__(self, triage_url: Text, token: Text, timeout: float, identity_secret: Text = "") -> None:
        self.desk = TriageDesk(triage_url, token, timeout)
        self.identity_secret = identity_secret
        if not identity_secret:
            log.warning("no SHOPPER_IDENTITY_SECRET: every shopper is anonymous (no customer id, no VIP)")

    @classmethod
    def name(cls) -> Text:
        return "rest"  # the contract's address: /webhooks/rest/webhook

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            triage_url=str(credentials.get("triage_url") or "http://127.0.0.1:8000"),
            token=str(credentials.get("token") or "dev-bot-token"),
            timeout=float(credentials.get("timeout") or 3.0),
            identity_secret=str(credentials.get("identity_secret") or ""),
        )

    async def _relayed(self, request: Request, sender: str, text: str) -> Optional[List[Dict[str, Any]]]:
        """The answer when a person holds the conversation (or it is the revisit), else None."""
        result = await self.desk.offer(sender, text)
        if not result or not result.get("handled"):
            return None
        reply = result.get("reply")
        if result.get("relayed") and result.get("ticket_id"):
            agent = getattr(request.app.ctx, "agent", None)
            if agent is not None and agent.is_ready():
                facts = facts_in(await agent.parse_message(text))
                filled = await self.desk.add_facts(str(result["ticket_id"]), facts) if facts else []
                if filled:
                    names = "、".join(_FACT_NAMES[name] for name in filled if name in _FACT_NAMES)
                    reply = shopper_message("relayed_facts", {"facts": names})
        return [{"recipient_id": sender, "text": reply}] if reply else []

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("gateway_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _error(413, f"the body exceeds {MAX_BODY_BYTES} bytes")
            try:
                body = request.json
            except Exception:  # sanic raises its own error type for malformed JSON
                body = None
            if not isinstance(body, dict):
                return _error(400, "the body must be a JSON object with sender and message")
            sender, text, metadata = body.get("sender"), body.get("message"), body.get("metadata")
            if isinstance(sender, str) and safe_text(sender) != sender:
                return _error(400, "sender must not contain control characters or lone surrogates")
            if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
                return _error(
                    400, f"sender must be a non-empty string of at most {MAX_SENDER_CHARS} characters"
                )
            if not isinstance(text, str):
                return _error(400, "message must be a string")
            text = safe_text(text[:MAX_MESSAGE_CHARS])  # a pasted novel is cut, as the normaliser would
            # Only the text is the shopper's: "/report_safety_hazard{...}" would be a Rasa command
            # that sets the intent and slots. Without its leading slash it is just words to the NLU.
            text = as_plain_text(text)
            if metadata is not None and not isinstance(metadata, dict):
                return _error(400, "metadata must be a JSON object")
            metadata = safe_json(metadata) if metadata is not None else None
            # Who the shopper is and whether they are VIP come from the shop's signed token only.
            metadata, dropped = trusted_metadata(metadata, self.identity_secret, sender)
            if dropped:
                log.warning("ignored an unsigned customer_id / vip claim in a message's metadata")
            if text.strip():
                relayed = await self._relayed(request, sender, text)
                if relayed is not None:
                    return response.json(relayed)
            collector = CollectingOutputChannel()
            failures: List[str] = []
            watching = _turn_failures.set(failures)
            try:
                await on_new_message(
                    UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except Exception:
                log.exception("the bot failed on a message")
                failures.append("channel")
            finally:
                _turn_failures.reset(watching)
            if failures:
                # What the bot said after a lost action may be wrong ("没太明白"); say what happened,
                # and forget the turn, so that the shopper's resent message is read where they were.
                await _forget_turn(request, sender, text)
                return response.json([{"recipient_id": sender, "text": shopper_message("bot_busy")}])
            return response.json(collector.messages)

        return webhook
