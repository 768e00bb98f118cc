"""Translate every set of an X12 file repeatedly, with or without gateway.heap.settle().

    python bench/bench_heap.py plain FILE     # the collector as CPython sets it
    python bench/bench_heap.py settle FILE    # after heap.settle(), as a started process

Prints the median and mean CPU ms per set over 40 rounds. Run the two in turn several
times (this machine is shared): bench/README.md, "Garbage collector after start-up".
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_engines import _translate_setup


def main() -> None:
    mode, path = sys.argv[1], sys.argv[2]
    run = _translate_setup(path)
    if mode == "settle":
        from gateway.heap import settle

        settle()
    run()
    times = []
    for _ in range(40):
        start = time.process_time()
        sets = run()
        times.append((time.process_time() - start) / sets * 1000)
    print(f"{mode} median ms/set {statistics.median(times):.2f} mean {statistics.mean(times):.2f}")


if __name__ == "__main__":
    main()
