"""``python -m figures [--out DIR] [--only TOPIC]``: export every figure as PNG and SVG."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from figures import TOPICS, load, save


def main(argv=None) -> int:
    """Export the figures; returns the exit code.

    >>> main(["--only", "nope"])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    parser = argparse.ArgumentParser(prog="python -m figures", description=__doc__)
    parser.add_argument("--out", default="_build/figures", help="output folder")
    parser.add_argument("--only", choices=TOPICS, help="one topic")
    args = parser.parse_args(argv)
    out = Path(args.out)
    jobs = [
        (fid, fn)
        for topic in ([args.only] if args.only else TOPICS)
        for fid, fn in load(topic).items()
    ]
    written = []
    for fid, fn in tqdm(jobs, unit="figure", disable=not sys.stderr.isatty()):
        written += save(fn(), out / fid)
    print(f"wrote {len(written)} files ({len(jobs)} figures) to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
