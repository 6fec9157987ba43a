"""Claims of the layers topic (being written; see the open issue)."""
