"""``./run bench NAME [args]``: run one benchmark (``./run bench`` lists them)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Run ``bench/bench_<NAME>.py`` with the remaining arguments."""
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    if len(sys.argv) < 2 or sys.argv[1] not in names:
        print("usage: ./run bench NAME [ARGS]   NAME is one of: " + ", ".join(names))
        print("results and exact commands: bench/README.md")
        raise SystemExit(2)
    name = sys.argv.pop(1)
    sys.argv[0] = str(HERE / f"bench_{name}.py")
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
