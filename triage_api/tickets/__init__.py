"""Tickets: handoff intake, storage in Redis and the agents' read views."""
