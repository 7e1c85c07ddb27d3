"""``make bench``: run every benchmark one after the other (never in parallel: they measure
ratios against baselines on the same two cores), each printing its table and writing
``benchmarks/results/<name>.json``.

Usage: python benchmarks/run_all.py [name ...]   (default: all, in dependency order)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["api_write", "simulate", "warehouse", "quality", "datasets", "dashboards"]


def main(argv: list[str]) -> int:
    names = argv or ORDER
    failed = []
    for name in names:
        script = HERE / f"{name}.py"
        if not script.exists():
            print(f"skip {name}: no {script.name}")
            continue
        print(f"\n######## {name}", flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"######## {name}: exit {rc} in {time.perf_counter() - start:.0f}s", flush=True)
        if rc:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
