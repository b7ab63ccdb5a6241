"""Custom actions of the intake bot: form validation, handoff, FAQ answers, status lookup."""
