"""The shopper's own status lookup: ticket id plus order number, no token, rate limited."""
