"""Checks that run offline in the reader's browser (Pyodide): the standard library only."""
