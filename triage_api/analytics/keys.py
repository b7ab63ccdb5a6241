"""Every Redis key of the review analytics, defined once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalyticsKeys:
    prefix: str

    def day(self, day: str) -> str:
        """Hash of counters for the tickets created on `day` (YYYY-MM-DD, analytics time zone)."""
        return f"{self.prefix}:stats:day:{day}"

    def day_products(self, day: str) -> str:
        """Sorted set: product name -> tickets created on `day` about it."""
        return f"{self.prefix}:stats:day:{day}:products"

    def day_hosts(self, day: str) -> str:
        """Sorted set: live-stream host -> tickets created on `day` about their sessions."""
        return f"{self.prefix}:stats:day:{day}:hosts"

    def scratch(self, token: str) -> str:
        """Short-lived union of several days' product or host sets (deleted after reading)."""
        return f"{self.prefix}:stats:scratch:{token}"
