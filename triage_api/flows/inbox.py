"""The durable handoff inbox: handoffs the action server stored in Redis while the API was
unreachable are delivered here, exactly once per handoff key, as soon as an API process runs."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from triage_api.flows.consumer import StreamWorker
from triage_api.tickets.keys import TicketKeys
from triage_api.tickets.schemas import HandoffRequest
from triage_api.tickets.service import TicketStore

log = logging.getLogger(__name__)

GROUP = "inbox"


class HandoffInbox:
    def __init__(self, store: TicketStore, keys: TicketKeys) -> None:
        self.store = store
        # A delivered handoff (phone, transcript) lives on in its ticket only: the entry is deleted.
        self.worker = StreamWorker(
            store.redis, keys.inbox(), GROUP, self.handle, start_at="0", delete_handled=True
        )

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        try:
            handoff = HandoffRequest.model_validate_json(fields.get("handoff", ""))
        except ValidationError as error:
            # A malformed entry can never succeed: it is logged (without its content) and dropped.
            log.error(
                "inbox entry %s is not a valid handoff (%d errors); dropped", entry_id, error.error_count()
            )
            return
        result = await self.store.create_from_handoff(
            handoff, actor=fields.get("actor") or "bot", via="inbox"
        )
        log.info(
            "inbox entry %s delivered as ticket %s (%s)",
            entry_id,
            result.ticket.id,
            "new" if result.created else "already delivered",
        )

    async def run(self) -> None:
        await self.worker.run()
