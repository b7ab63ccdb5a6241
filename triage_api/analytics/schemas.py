"""What the review (复盘) sees: volumes, top products and hosts, times, resolution, CSAT, SLA."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class NamedCount(BaseModel):
    name: str
    count: int


class DayVolume(BaseModel):
    date: date
    created: int
    by_issue_type: dict[str, int]


class MeanDuration(BaseModel):
    count: int = Field(description="tickets measured")
    mean_seconds: float | None = Field(description="null when nothing was measured")


class FirstContactResolution(BaseModel):
    resolved: int = Field(description="tickets resolved at least once")
    first_contact: int = Field(description="resolved by the first agent, never transferred or reopened")
    rate: float | None


class Satisfaction(BaseModel):
    responses: int
    mean: float | None
    distribution: dict[str, int] = Field(description="CSAT score 1-5 -> responses")


class SlaSummary(BaseModel):
    tickets: int
    breached_tickets: int = Field(description="tickets that missed at least one deadline")
    breach_rate: float | None
    first_response_breaches: int
    resolution_breaches: int


class AnalyticsSummary(BaseModel):
    """Figures for the tickets created between `date_from` and `date_to` (inclusive, local days)."""

    date_from: date
    date_to: date
    timezone: str
    tickets: int
    days: list[DayVolume]
    by_issue_type: dict[str, int]
    by_channel: dict[str, int]
    by_severity: dict[str, int] = Field(description="severity at intake")
    by_queue: dict[str, int] = Field(description="queue at intake")
    responsibility: dict[str, int] = Field(description="the agents' assessment once resolved, else intake")
    top_products: list[NamedCount]
    top_hosts: list[NamedCount]
    vip_tickets: int
    repeat_complaints: int
    first_response: MeanDuration
    handling: MeanDuration = Field(description="creation to (latest) resolution")
    first_contact_resolution: FirstContactResolution
    csat: Satisfaction
    sla: SlaSummary
    reopened: int
    transferred: int
