"""Numbers that confront the derivations: claims, evidence and the checks behind them."""

from verify.claims import run

__all__ = ["run"]
