"""Ticket and handoff schemas; enum values are the stable names of the shared taxonomy."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from knowledge_base.textnorm import canonical_order_id


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

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


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


class Customer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: ShortText
    vip: bool = False
    phone: str | None = Field(default=None, max_length=32)


class HandoffRequest(BaseModel):
    """What a channel sends when it hands a case to people (contract: POST /api/v1/handoffs)."""

    model_config = ConfigDict(extra="ignore")

    conversation_id: ShortText
    channel: Channel
    order_id: str | None = Field(default=None, max_length=64)
    issue_type: IssueType = IssueType.other
    remedy: Remedy | None = None
    transcript: list[Turn] = Field(default_factory=list, max_length=1000)
    customer: Customer
    reason: str = Field(default="bot_handoff", max_length=200)
    product: str | None = Field(default=None, max_length=200)
    host: str | None = Field(default=None, max_length=100)
    amount: str | None = Field(default=None, max_length=32)

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


class Ticket(BaseModel):
    """The agents' view of a ticket (contract: GET /api/v1/tickets/{id})."""

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
    assignee: str | None = None
    created_at: datetime
    updated_at: datetime


class TicketList(BaseModel):
    items: list[Ticket]
