"""Claims of the optimizers topic (being written; see the open issue)."""
