"""Small tabular data: glassnet's defaults against scikit-learn's MLPClassifier at the same architecture.

On scikit-learn's bundled iris, wine, breast cancer and digits, each seed draws one stratified train/test
split (75/25) that every model shares, with the inputs standardized on the training rows. The models:

- ``MLPClassifier``: scikit-learn's defaults (one hidden layer of 100 relu units, adam at 1e-3,
  alpha=1e-4, batch_size="auto" = min(200, rows), max_iter=200, tol=1e-4 with n_iter_no_change=10);
- ``GlassClassifier``: glassnet's estimator with its defaults (the same settings as scikit-learn's);
- ``train()``: glassnet's ``train`` with its own defaults (adam at 1e-3, no weight decay, float32), given
  the same architecture, epochs (200) and batch size, and no held-out validation rows.

It prints test accuracy and fit time as mean ± standard deviation over the seeds, and each glassnet model's
paired difference in test accuracy from MLPClassifier (same seed, same split) with its standard error, under
a header naming the machine (CPU, NumPy, the BLAS and its threads). Run:

    python benchmarks/bench_tabular.py [--seeds 20] [--threads 1] [--datasets iris wine]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from glassnet.core.model import train
from glassnet.sklearn import GlassClassifier

DATASETS: dict[str, Callable[..., Any]] = {
    "iris": load_iris,
    "wine": load_wine,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}
HIDDEN, EPOCHS = 100, 200

Fitter = Callable[[np.ndarray, np.ndarray, int], tuple[Callable[[np.ndarray], np.ndarray], int]]


def fit_mlp(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    clf = MLPClassifier(random_state=seed).fit(X, y)
    return clf.predict, int(clf.n_iter_)


def fit_glass(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    clf = GlassClassifier(random_state=seed).fit(X, y)
    return clf.predict, int(clf.n_iter_)


def fit_train(X: np.ndarray, y: np.ndarray, seed: int) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    batch = min(200, len(y))  # what batch_size="auto" means
    model, result = train(
        X, y, layers=[HIDDEN], epochs=EPOCHS, batch_size=batch, validation_split=0.0, seed=seed
    )
    return lambda Z: np.asarray(model.predict(Z)).astype(y.dtype), result.epochs


MODELS: dict[str, Fitter] = {"MLPClassifier": fit_mlp, "GlassClassifier": fit_glass, "train()": fit_train}


def machine() -> list[str]:
    """Lines naming the CPU, NumPy and the BLAS behind it."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    lines = [f"CPU: {cpu} ({os.cpu_count()} logical cores); Python {platform.python_version()}"]
    blas = "unknown"
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        blas = ", ".join(
            f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)" for p in pools
        )
    except ImportError:
        pass
    import sklearn

    lines.append(f"NumPy {np.__version__}, scikit-learn {sklearn.__version__}, BLAS: {blas or 'none found'}")
    return lines


def run(names: list[str], seeds: int) -> list[tuple[str, str, list[float], list[float], list[int]]]:
    rows = []
    for name in names:
        X, y = DATASETS[name](return_X_y=True)
        results: dict[str, tuple[list[float], list[float], list[int]]] = {m: ([], [], []) for m in MODELS}
        for seed in range(seeds):
            Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
            scaler = StandardScaler().fit(Xtr)
            Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
            for model, fitter in MODELS.items():
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter reached: see epochs
                    predict, epochs = fitter(Xtr, ytr, seed)
                seconds = time.perf_counter() - started
                accuracy, times, iters = results[model]
                accuracy.append(float(np.mean(predict(Xte) == yte)))
                times.append(seconds)
                iters.append(epochs)
        rows += [(name, model, *results[model]) for model in MODELS]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="limit the BLAS to this many threads")
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    args = parser.parse_args()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    print("\n".join(machine()))
    print(f"{args.seeds} seeds, stratified 75/25 split per seed, inputs standardized on the training rows\n")
    header = (
        f"{'dataset':<14} {'model':<16} {'test accuracy':>17} {'vs MLPClassifier':>18} {'fit seconds':>15} "
        f"{'epochs':>7}"
    )
    print(header)
    print("-" * len(header))
    reference: list[float] = []
    for name, model, accuracy, times, epochs in run(args.datasets, args.seeds):
        if model == "MLPClassifier":
            reference = accuracy
        gain = np.subtract(accuracy, reference)  # paired by seed: the same split for both
        error = np.std(gain, ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else 0.0
        versus = "" if model == "MLPClassifier" else f"{np.mean(gain):+.4f} ± {error:.4f}"
        acc = f"{np.mean(accuracy):.4f} ± {np.std(accuracy):.4f}"
        sec = f"{np.mean(times):.3f} ± {np.std(times):.3f}"
        print(f"{name:<14} {model:<16} {acc:>17} {versus:>18} {sec:>15} {np.mean(epochs):>7.1f}")
    print(
        "\ntest accuracy and fit seconds: mean ± standard deviation over the seeds; vs MLPClassifier: "
        "the mean paired difference in test accuracy ± its standard error"
    )


if __name__ == "__main__":
    main()
