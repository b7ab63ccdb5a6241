"""Input channels of the Rasa server."""
