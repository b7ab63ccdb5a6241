"""Triage API: receives handoffs from the bot, grades and queues them for human teams."""
