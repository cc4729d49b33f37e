"""Time and peak memory of ``make_shop`` at 10k, 100k and 1M customers.

Each size runs in a fresh Python process so that its peak resident memory (read with
``resource.getrusage``; tracemalloc would slow numpy down and miss native buffers) is
its own. The table gives the wall time of ``make_shop`` alone, the events made, the
process's peak RSS, and the RSS right after the imports for reference.

Usage::

    python experiments/bench_make_shop.py            # 10k, 100k, 1M
    python experiments/bench_make_shop.py 20000 50000
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

SIZES = (10_000, 100_000, 1_000_000)


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_one(n_customers: int) -> dict[str, float]:
    """Run ``make_shop`` once in this process and return its figures."""
    from metaseg.datasets.synthetic import make_shop

    baseline = _peak_rss_mb()
    start = time.perf_counter()
    _, events, _ = make_shop(n_customers, seed=0)
    seconds = time.perf_counter() - start
    return {
        "n_customers": n_customers,
        "n_events": len(events),
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "import_rss_mb": baseline,
        "frame_mb": events.memory_usage(deep=True).sum() / 2**20,
    }


def main(sizes: tuple[int, ...]) -> None:
    header = (
        f"{'customers':>10} {'events':>11} {'ev/cust':>7} {'seconds':>8} "
        f"{'peak RSS MB':>11} {'import RSS MB':>13} {'events MB':>9}"
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(n)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{r['n_customers']:>10,} {r['n_events']:>11,} "
            f"{r['n_events'] / r['n_customers']:>7.1f} {r['seconds']:>8.2f} "
            f"{r['peak_rss_mb']:>11,.0f} {r['import_rss_mb']:>13,.0f} {r['frame_mb']:>9,.0f}"
        )


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--one":
        print(json.dumps(measure_one(int(args[1]))))
    else:
        main(tuple(int(a) for a in args) or SIZES)
