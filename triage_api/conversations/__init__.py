"""Conversations after a handoff: who holds each one, the shopper's messages relayed to the
ticket, the revisit answered in the chat, and the shopper's push channel."""
