"""Claims of the initialization topic (being written; see the open issue)."""
