"""Figures of the optimizers topic (being written; see the open issue)."""

FIGURES: dict = {}
