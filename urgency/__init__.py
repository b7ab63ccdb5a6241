"""Urgency: what a shopper's turns mean (harm, money still being taken, exposure threats).

One small package with its own version, imported by the triage API's policy and by the bot's
action server, so that the two can never read the same words differently.
"""

from urgency.reader import CLAUSE_SPLIT, SIGNALS_PATH, SignalHit, SignalReader, SignalReading, version

__all__ = ["CLAUSE_SPLIT", "SIGNALS_PATH", "SignalHit", "SignalReader", "SignalReading", "version"]
