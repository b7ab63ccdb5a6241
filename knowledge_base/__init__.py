"""Knowledge base: FAQ answers and agent scripts as YAML content, and their retrieval."""
