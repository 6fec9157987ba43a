"""Figures of the layers topic (being written; see the open issue)."""

FIGURES: dict = {}
