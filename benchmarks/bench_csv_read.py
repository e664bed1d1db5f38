"""Speed and peak memory of reading a large CSV: glassnet's ``read_csv`` beside ``pandas.read_csv``.

Writes a 50,000 x 100 float CSV (about 98 MB, ``sklearn.datasets.make_classification`` written by pandas
with ``index=False``) to a temporary folder, then reads it in a fresh process per reader, ``--repeats``
times each, and prints the best time and the peak memory the read added (the peak resident set size after
the read minus before it; Linux), then one JSON line. The readers:

- ``glassnet``: ``read_csv`` as installed (pandas' C parser on the whole file when pandas is importable);
- ``glassnet-numpy``: ``read_csv(engine="numpy")``, NumPy's C parser only (as without pandas);
- ``glassnet-exact``: ``read_csv(engine="python")``, every record through Python's csv module (the path that
  names a bad value's line, and the only path before the C parsers);
- ``pandas``: ``pandas.read_csv(path)``.

    python benchmarks/bench_csv_read.py [--rows 50000] [--features 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import sys, time
kind, path = sys.argv[1], sys.argv[2]


def peak_kb():  # VmHWM, not ru_maxrss: a child process inherits its parent's ru_maxrss on Linux
    with open("/proc/self/status") as f:
        return int(f.read().split("VmHWM:")[1].split()[0])


import numpy as np
from glassnet.io import data
if kind == "pandas":
    import pandas as pd
    read = pd.read_csv
else:
    import pandas  # imported in every glassnet case too, so the baselines agree
    engine = {"glassnet": "auto", "glassnet-numpy": "numpy", "glassnet-exact": "python"}[kind]
    read = lambda path: data.read_csv(path, engine=engine)
before = peak_kb()
start = time.perf_counter()
result = read(path)
seconds = time.perf_counter() - start
after = peak_kb()
print(seconds, (after - before) / 1024)
"""

READERS = ("glassnet", "glassnet-numpy", "glassnet-exact", "pandas")


def write_csv(path: Path, rows: int, features: int) -> None:
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=rows, n_features=features, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{k}" for k in range(features)])
    frame["label"] = y
    frame.to_csv(path, index=False)


def measure(kind: str, path: Path) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(path)], capture_output=True, text=True, check=True
    ).stdout
    seconds, megabytes = out.split()
    return float(seconds), float(megabytes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-exact", action="store_true", help="leave out the slow exact reader")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_csv(path, args.rows, args.features)
        size = path.stat().st_size / 1e6
        print(f"{args.rows:,} x {args.features} floats: {size:.1f} MB")
        figures = {}
        for kind in READERS:
            if kind == "glassnet-exact" and args.skip_exact:
                continue
            runs = [measure(kind, path) for _ in range(args.repeats)]
            figures[kind] = {"seconds": min(r[0] for r in runs), "peak_mb": max(r[1] for r in runs)}
            print(f"{kind:>15}: {figures[kind]['seconds']:.2f} s, peak +{figures[kind]['peak_mb']:.0f} MB")
        ratio = figures["glassnet"]["seconds"] / figures["pandas"]["seconds"]
        print(f"glassnet / pandas time: {ratio:.2f}x")
        print(json.dumps({"megabytes": round(size, 1), **figures, "ratio_to_pandas": round(ratio, 2)}))


if __name__ == "__main__":
    main()
