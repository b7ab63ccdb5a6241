"""Review (复盘) analytics: counters kept at write time, summed per day range on request."""
