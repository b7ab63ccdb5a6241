"""The relay to the shopper (信息透明): ticket changes become messages in the shopper's chat.

Reads the event stream as a consumer group, so with several API processes each change is told
once; writes the message to the conversation's chat stream and the chat feed in one transaction
with the acknowledgement of the event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from redis.asyncio import Redis

from knowledge_base.labels import label, shopper_message
from triage_api.flows.consumer import StreamWorker
from triage_api.tickets.keys import TicketKeys
from triage_api.tickets.service import TicketStore

log = logging.getLogger(__name__)

CHAT_MAXLEN = 500  # messages kept per conversation for replay
FEED_MAXLEN = 10_000
CHAT_TTL_SECONDS = 30 * 24 * 3600
GROUP = "relay"

# The message goes to the conversation's stream (replay) and, with that entry's id as `chat_id`,
# to the feed the push hubs read, in one step, once: an event redelivered after a crash (handled,
# not yet acknowledged) finds its messages marked as posted and posts nothing.
_POST = """
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', 86400) then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 4))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'chat_id', id, unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], ARGV[3])
return id
"""


def chat_messages(
    event: dict[str, str], team: str, note: str | None, remedy: str | None
) -> list[dict[str, str]]:
    """What the shopper is told about one ticket event (internal notes and the shopper's own
    messages say nothing)."""
    action = event.get("action", "")
    agent = event.get("actor", "")
    values = {"agent": agent, "team": team, "ticket_id": event.get("ticket_id", "")}
    if action == "replied":
        return [{"kind": "message", "role": "agent", "author": agent, "text": event.get("text", "")}]
    if action == "claimed":
        return [progress(shopper_message("claimed", values))]
    if action == "status_changed" and event.get("status") == "waiting_customer":
        return [progress(shopper_message("waiting_customer", values))]
    if action == "transferred":
        return [progress(shopper_message("transferred", values))]
    if action == "resolved":
        resolved = shopper_message("resolved", {"remedy": label("remedy", remedy), "note": note})
        return [
            progress(resolved),
            {"kind": "rating_prompt", "role": "bot", "text": shopper_message("rating_prompt")},
        ]
    # A revisit (and the reopen it causes) was answered by the shopper's channel in its reply.
    if action == "reopened" and not event.get("after_revisit"):
        return [progress(shopper_message("reopened", values))]
    if action == "closed":
        return [progress(shopper_message("closed", values))]
    if action == "created" and event.get("via") == "inbox":
        return [progress(shopper_message("delivered_later", values))]
    return []


def progress(text: str) -> dict[str, str]:
    return {"kind": "progress", "role": "system", "text": text}


class Relay:
    """Turns ticket events into chat messages for the shopper's page and channel."""

    def __init__(self, redis: Redis, keys: TicketKeys, store: TicketStore) -> None:
        self.redis = redis
        self.keys = keys
        self.store = store
        # One ticket's events in order (a reply never overtakes the claim before it); tickets side
        # by side, so a burst of replies does not queue behind one another.
        self.worker = StreamWorker(redis, keys.events(), GROUP, self.handle, order_by="ticket_id")
        self._post = redis.register_script(_POST)

    async def handle(self, event_id: str, event: dict[str, str]) -> None:
        ticket_id, conversation = event.get("ticket_id", ""), event.get("conversation_id", "")
        if not conversation:  # a claim, written by Lua, names only the ticket
            ticket = await self.store.get(ticket_id)
            if ticket is None:
                return
            conversation = ticket.conversation_id
            event = {"queue": ticket.queue.value, "status": ticket.status.value, **event}
        queue = event.get("queue", "")
        messages = chat_messages(event, label("queue", queue), event.get("note"), event.get("remedy"))
        if not messages:
            return
        now = datetime.now(timezone.utc).isoformat()
        for index, message in enumerate(messages):
            fields = {
                **message,
                "conversation_id": conversation,
                "action": event.get("action", ""),
                "ticket_id": ticket_id,
                "status": event.get("status", ""),
                "ts": event.get("ts") or now,
                "source": event_id,
            }
            args: list[str | int] = [CHAT_MAXLEN, FEED_MAXLEN, CHAT_TTL_SECONDS]
            for name, value in fields.items():
                args += [name, value]
            keys = [self.keys.chat(conversation), self.keys.chat_feed(), self.keys.relayed(event_id, index)]
            await self._post(keys=keys, args=args)

    async def run(self) -> None:
        await self.worker.run()
