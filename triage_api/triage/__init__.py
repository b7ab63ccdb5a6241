"""Triage: the data-driven policy that grades, routes and sets deadlines for a case."""
