"""The local stack: starts Redis, the triage API, the action server and Rasa for `make run` and tests."""
