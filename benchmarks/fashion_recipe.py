"""The README's Fashion-MNIST recipe, run for several seeds and OpenBLAS kernels: test accuracy and wall time.

    python benchmarks/fashion_recipe.py                      # seeds 0 1 2, OpenBLAS's own kernel and Haswell
    python benchmarks/fashion_recipe.py --seeds 0 --kernels default

The same seed gives different floating-point sums with another BLAS kernel or thread count, so one run's
accuracy is not a figure that holds everywhere; this script measures the spread the README states. Each
run is the README's command (without --save) in its own process, with OPENBLAS_CORETYPE set for the kernel
("default" leaves it unset: OpenBLAS picks the kernel for this CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time

# The README's command, without the seed and --save.
RECIPE = (
    "glassnet train fashion-mnist --layers 512,256 --dropout 0.2 --optimizer adam --lr 1e-3 "
    "--schedule cosine --batch-size 128 --epochs 40"
)


def blas_kernel(env: dict[str, str]) -> str:
    """The kernel OpenBLAS chose under ``env`` (as threadpoolctl reports it)."""
    code = (
        "import numpy, threadpoolctl\n"
        "print(next((i.get('architecture') for i in threadpoolctl.threadpool_info()"
        " if i['internal_api'] == 'openblas'), 'not OpenBLAS'))"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    except subprocess.CalledProcessError:
        return "unknown (threadpoolctl missing)"
    return out.stdout.strip()


def cpu() -> str:
    """The processor's model name where Linux tells it, else the architecture."""
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def run(recipe: str, seed: int, kernel: str) -> tuple[float, float, str]:
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if kernel != "default":
        env["OPENBLAS_CORETYPE"] = kernel
    args = [*shlex.split(recipe)[1:], "--seed", str(seed), "--json"]
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "glassnet", *args], env=env, capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - started
    return json.loads(out.stdout)["test_accuracy"], seconds, blas_kernel(env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--kernels", nargs="+", default=["default", "Haswell"])
    parser.add_argument(
        "--recipe", default=RECIPE, help="the command, without --seed (default: the README's)"
    )
    args = parser.parse_args()
    import numpy

    python = platform.python_version()
    print(f"machine: {cpu()}, {os.cpu_count()} cores, Python {python}, NumPy {numpy.__version__}")
    print(f"recipe: {args.recipe} --seed S")
    accuracies, times = [], []
    for kernel in args.kernels:
        for seed in args.seeds:
            accuracy, seconds, chosen = run(args.recipe, seed, kernel)
            accuracies.append(accuracy)
            times.append(seconds)
            print(f"kernel {kernel:8} ({chosen}) seed {seed}: {accuracy:.2%} in {seconds:.1f} s", flush=True)
    print(
        f"accuracy {min(accuracies):.2%} .. {max(accuracies):.2%}; wall time {min(times):.0f} .. "
        f"{max(times):.0f} s over {len(accuracies)} runs"
    )


if __name__ == "__main__":
    main()
