"""Deleting one shopper's data everywhere (PIPL), and the retention of closed tickets."""
