"""The ticket lifecycle after intake: notes, replies, shopper messages, resolution, revisit, reopen."""
