"""Claims of the ridge topic (being written; see the open issue)."""
