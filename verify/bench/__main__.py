"""``python -m verify.bench NAME [options]``: run one benchmark (``--help`` lists them)."""

from __future__ import annotations

import importlib
import sys

from verify.bench import names


def main(argv: list[str] | None = None) -> int:
    """Dispatch to ``verify.bench.<NAME>.main``; 2 for an unknown name.

    >>> main(["nope"])
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    known = names()
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python -m verify.bench {{{','.join(known)}}} [options]")
        return 0 if argv else 2
    if argv[0] not in known:
        print(
            f"unknown benchmark {argv[0]!r}; known: {', '.join(known) or 'none'}", file=sys.stderr
        )
        return 2
    return importlib.import_module(f"verify.bench.{argv[0]}").main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
