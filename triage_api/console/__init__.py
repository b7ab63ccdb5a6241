"""The agent console and the shopper chat page: static pages served by the triage API."""
