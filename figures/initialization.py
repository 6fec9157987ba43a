"""Figures of the initialization topic (being written; see the open issue)."""

FIGURES: dict = {}
