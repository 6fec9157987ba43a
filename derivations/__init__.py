"""SymPy derivations: what is claimed and why, as chains of machine-checked steps."""
