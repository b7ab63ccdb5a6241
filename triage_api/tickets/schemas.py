"""Ticket and handoff schemas; enum values are the stable names of the shared taxonomy."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from knowledge_base.textnorm import canonical_order_id
from triage_api.core.privacy import excerpt, mask_personal_data, mask_phone_number


class IssueType(str, Enum):
    quality_defect = "quality_defect"
    not_as_described = "not_as_described"
    wrong_or_missing_item = "wrong_or_missing_item"
    logistics_delay = "logistics_delay"
    logistics_lost = "logistics_lost"
    damaged_in_transit = "damaged_in_transit"
    false_advertising = "false_advertising"
    refund_problem = "refund_problem"
    order_anomaly = "order_anomaly"
    payment_security = "payment_security"
    promotion_rules = "promotion_rules"
    safety_hazard = "safety_hazard"
    service_complaint = "service_complaint"
    order_change = "order_change"
    invoice = "invoice"
    usage_help = "usage_help"
    other = "other"


class Remedy(str, Enum):
    refund_only = "refund_only"
    return_refund = "return_refund"
    partial_refund = "partial_refund"
    exchange = "exchange"
    reship = "reship"
    repair = "repair"
    compensation = "compensation"
    apology = "apology"
    expedite = "expedite"
    investigate = "investigate"
    unsure = "unsure"


class Severity(str, Enum):
    urgent = "urgent"
    important = "important"
    normal = "normal"


class Responsibility(str, Enum):
    merchant = "merchant"
    logistics = "logistics"
    platform = "platform"
    customer = "customer"
    unknown = "unknown"


class Queue(str, Enum):
    safety = "safety"
    payment_risk = "payment_risk"
    logistics = "logistics"
    quality = "quality"
    live_compliance = "live_compliance"
    refunds = "refunds"
    general = "general"


class Channel(str, Enum):
    live_comment = "live_comment"
    app_chat = "app_chat"
    message = "message"


class TicketStatus(str, Enum):
    new = "new"
    assigned = "assigned"
    waiting_customer = "waiting_customer"
    resolved = "resolved"
    closed = "closed"
    reopened = "reopened"


OPEN_STATUSES = frozenset(
    {TicketStatus.new, TicketStatus.assigned, TicketStatus.waiting_customer, TicketStatus.reopened}
)
# Statuses in which a ticket waits in its queue for an agent to claim it.
WAITING_STATUSES = frozenset({TicketStatus.new, TicketStatus.reopened})
# Statuses in which a ticket counts against its assignee's capacity.
HELD_STATUSES = frozenset({TicketStatus.assigned, TicketStatus.waiting_customer})

ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"\S")
]  # at least one character that is not whitespace: whitespace alone is stripped to nothing


class Role(str, Enum):
    user = "user"
    bot = "bot"
    agent = "agent"


class Turn(BaseModel):
    """One line of the conversation as the shopper and the bot (or an agent) said it."""

    model_config = ConfigDict(extra="ignore")

    role: Role
    text: str = Field(max_length=4000)
    ts: datetime | float | None = None
    author: str | None = Field(default=None, max_length=128, description="the agent who wrote it")


class Customer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: ShortText
    vip: bool = False
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="in a ticket's view: in full only for the agent holding the ticket, else 138****5678",
    )


class HandoffRequest(BaseModel):
    """What a channel sends when it hands a case to people (contract: POST /api/v1/handoffs)."""

    model_config = ConfigDict(extra="ignore")

    conversation_id: ShortText
    channel: Channel
    order_id: str | None = Field(
        default=None,
        max_length=64,
        # Documented, not enforced: shoppers' spellings (spaces, full-width digits) are accepted and
        # canonicalised. The pattern is a canonical form that is always accepted; from 12 digits,
        # since 11 may be a mobile number, which is never an order number.
        json_schema_extra={"pattern": "^([A-Z]{2,4})?[0-9]{12,20}$"},
    )
    issue_type: IssueType = IssueType.other
    remedy: Remedy | None = None
    transcript: list[Turn] = Field(default_factory=list, max_length=1000)
    customer: Customer
    reason: str = Field(default="bot_handoff", max_length=200)
    product: str | None = Field(default=None, max_length=200)
    host: str | None = Field(default=None, max_length=100)
    amount: str | None = Field(default=None, max_length=32)
    urgency_version: str | None = Field(
        default=None,
        max_length=16,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="the version of the urgency package the channel read the conversation with",
    )
    handoff_key: str | None = Field(
        default=None,
        min_length=8,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="idempotency key: a handoff delivered once under this key is never delivered again",
    )

    @field_validator("order_id")
    @classmethod
    def _canonical_order(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        canonical = canonical_order_id(value)
        if canonical is None:
            raise ValueError("order_id must be 10-20 digits with an optional letter prefix")
        return canonical


class SLA(BaseModel):
    first_response_due: datetime
    resolution_due: datetime
    first_responded_at: datetime | None = None
    breached: list[str] = Field(default_factory=list)


class Note(BaseModel):
    """An agent's internal note on a ticket; never shown to the shopper."""

    author: str
    text: str
    ts: datetime


class Resolution(BaseModel):
    """The remedy an agent executed, and their assessment of who was responsible."""

    remedy: Remedy
    responsibility: Responsibility
    note: str
    by: str
    at: datetime


class Revisit(BaseModel):
    """The revisit (回访): the shopper's satisfaction with the resolution."""

    csat: int = Field(ge=1, le=5)
    comment: str
    by: str
    at: datetime


class Ticket(BaseModel):
    """The agents' view of a ticket (contract: GET /api/v1/tickets/{id}); routes answer it as
    `tickets.views.ticket_for` lets the caller read it."""

    id: str
    conversation_id: str
    channel: Channel
    order_id: str | None
    issue_type: IssueType
    remedy: Remedy | None
    severity: Severity
    responsibility: Responsibility
    queue: Queue
    priority: float
    complexity: str
    status: TicketStatus
    sla: SLA
    transcript: list[Turn]
    customer: Customer
    reason: str
    product: str | None = None
    host: str | None = None
    amount: str | None = None
    signals: list[str] = Field(default_factory=list)
    explain: list[str] = Field(default_factory=list)
    policy_version: str
    urgency_version: str | None = Field(
        default=None, description="the urgency package version the API graded the case with"
    )
    assignee: str | None = None
    repeat_complaint: bool = False
    escalated: bool = False
    transfers: int = 0
    reopens: int = 0
    notes: list[Note] = Field(default_factory=list, description="internal; for agents and supervisors only")
    resolution: Resolution | None = None
    revisit: Revisit | None = None
    created_at: datetime
    updated_at: datetime


class TicketList(BaseModel):
    items: list[Ticket]


class TicketState(BaseModel):
    """What changes during a ticket's life, kept as the flat Redis hash `TicketKeys.state`.

    The handoff JSON stays as graded at intake; this state overrides its lifecycle fields.
    Text fields are stored verbatim (the claim script compares `status` in Lua), the rest as JSON.
    """

    _TEXT_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "status",
            "assignee",
            "queue",
            "severity",
            "responsibility",
            "remedy",
            "updated_at",
            "resolution_due",
            "first_responded_at",
            "stats_day",
            "order_id",
            "product",
        }
    )

    status: TicketStatus
    assignee: str | None = None
    queue: Queue
    severity: Severity
    priority: float
    responsibility: Responsibility
    remedy: Remedy | None = None
    updated_at: datetime
    resolution_due: datetime
    first_responded_at: datetime | None = None
    breached: list[str] = Field(default_factory=list)
    escalated: bool = False
    transfers: int = 0
    reopens: int = 0
    resolution: Resolution | None = None
    revisit: Revisit | None = None
    first_contact: bool = False  # counted as resolved at first contact in the analytics
    handling_seconds: float | None = None  # created -> latest resolution
    stats_day: str  # the analytics day the ticket counts in: its creation day
    # Facts the shopper gave after the handoff fill these when intake left them empty.
    order_id: str | None = None
    product: str | None = None

    @classmethod
    def initial(cls, ticket: Ticket, stats_day: str) -> TicketState:
        return cls(
            status=ticket.status,
            assignee=ticket.assignee,
            queue=ticket.queue,
            severity=ticket.severity,
            priority=ticket.priority,
            responsibility=ticket.responsibility,
            remedy=ticket.remedy,
            updated_at=ticket.updated_at,
            resolution_due=ticket.sla.resolution_due,
            first_responded_at=ticket.sla.first_responded_at,
            breached=list(ticket.sla.breached),
            stats_day=stats_day,
            order_id=ticket.order_id,
            product=ticket.product,
        )

    @classmethod
    def from_redis(cls, fields: dict[str, str], ticket: Ticket, stats_day: str) -> TicketState:
        """The stored fields over the ticket's intake values (tickets from before the state hash
        existed, or a claim that wrote only a few fields, read the same way)."""
        data: dict[str, Any] = cls.initial(ticket, stats_day).model_dump()
        for name, raw in fields.items():
            if name not in cls.model_fields:
                continue
            data[name] = (raw or None) if name in cls._TEXT_FIELDS else json.loads(raw)
        return cls.model_validate(data)

    def to_redis(self) -> dict[str, str]:
        dumped = self.model_dump(mode="json")
        return {
            name: (value or "") if name in self._TEXT_FIELDS else json.dumps(value, ensure_ascii=False)
            for name, value in dumped.items()
        }

    def view(self, ticket: Ticket, thread: list[Turn], notes: list[Note]) -> Ticket:
        """The agents' view: intake JSON, this state, and the turns and notes added since."""
        return ticket.model_copy(
            update={
                "status": self.status,
                "assignee": self.assignee,
                "queue": self.queue,
                "severity": self.severity,
                "priority": self.priority,
                "responsibility": self.responsibility,
                "remedy": self.remedy,
                "order_id": self.order_id or ticket.order_id,
                "product": self.product or ticket.product,
                "updated_at": self.updated_at,
                "escalated": self.escalated,
                "transfers": self.transfers,
                "reopens": self.reopens,
                "resolution": self.resolution,
                "revisit": self.revisit,
                "sla": ticket.sla.model_copy(
                    update={
                        "resolution_due": self.resolution_due,
                        "first_responded_at": self.first_responded_at,
                        "breached": list(self.breached),
                    }
                ),
                "transcript": [*ticket.transcript, *thread],
                "notes": notes,
            }
        )


class TicketSummary(BaseModel):
    """A ticket in lists (queues, escalations): no transcript, personal data masked."""

    id: str
    channel: Channel
    order_id: str | None
    issue_type: IssueType
    remedy: Remedy | None
    severity: Severity
    responsibility: Responsibility
    queue: Queue
    priority: float
    status: TicketStatus
    assignee: str | None
    vip: bool
    phone: str | None = Field(description="masked")
    product: str | None
    host: str | None
    preview: str = Field(description="the shopper's last words, masked and shortened")
    sla: SLA
    escalated: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, ticket: Ticket) -> TicketSummary:
        shopper_turns = [turn.text for turn in ticket.transcript if turn.role is Role.user]
        return cls(
            id=ticket.id,
            channel=ticket.channel,
            order_id=ticket.order_id,
            issue_type=ticket.issue_type,
            remedy=ticket.remedy,
            severity=ticket.severity,
            responsibility=ticket.responsibility,
            queue=ticket.queue,
            priority=ticket.priority,
            status=ticket.status,
            assignee=ticket.assignee,
            vip=ticket.customer.vip,
            phone=mask_phone_number(ticket.customer.phone) if ticket.customer.phone else None,
            product=mask_personal_data(ticket.product) if ticket.product else None,
            host=ticket.host,
            preview=excerpt(shopper_turns[-1]) if shopper_turns else "",
            sla=ticket.sla,
            escalated=ticket.escalated,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
        )


class AuditEntry(BaseModel):
    """One line of a ticket's audit trail: who did what when (texts masked when written)."""

    model_config = ConfigDict(extra="allow")

    ts: datetime
    actor: str
    action: str


class AuditTrail(BaseModel):
    ticket_id: str
    entries: list[AuditEntry]
