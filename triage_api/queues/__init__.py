"""Queue work: per-queue priority order, atomic claims within agents' capacity, transfers."""
