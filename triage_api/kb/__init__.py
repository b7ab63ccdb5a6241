"""Knowledge-base search served over HTTP for the bot's FAQ action and the agents' scripts."""
