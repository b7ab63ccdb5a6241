"""Deadlines: the background monitor that records and escalates SLA breaches, and the escalation list."""
