"""Cross-cutting pieces of the triage API: settings, Redis connection, security, errors."""
