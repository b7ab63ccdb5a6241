"""The end-to-end tests use the session `stack` fixture of tests/conftest.py."""
