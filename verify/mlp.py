"""Claims of the mlp topic (being written; see the open issue)."""
