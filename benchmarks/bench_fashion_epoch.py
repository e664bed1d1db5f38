"""One epoch of Fashion-MNIST training: glassnet against PyTorch, scikit-learn and the bare matmul floor.

Two settings (``--setting``):

  - ``sgd`` (the default): MLP 784-256-128-10 (ReLU, softmax + cross-entropy), plain SGD with learning
    rate 0.1, batch 128, float32;
  - ``recipe``: the README's Fashion-MNIST recipe, MLP 784-512-256-10 (ReLU, dropout 0.2 on both hidden
    layers), Adam with learning rate 1e-3, batch 128, float32 (scikit-learn has no dropout: not run).

One epoch over the 60,000 training images, for:

  - glassnet     ``glassnet.fit`` (shuffled, batches gathered into reused buffers), timed per epoch;
  - torch        a PyTorch CPU training loop (torch==2.13.0);
  - sklearn      ``MLPClassifier(solver="sgd", momentum=0, alpha=0, max_iter=1).fit`` on float32 input;
  - matmul_floor the 8 matrix products one epoch needs (3 forward, 3 weight gradients, 2 input
                 gradients), in NumPy, and nothing else.

Each runs in its own worker process (so thread pools and memory never mix) that loads the data once and
then waits for orders; the main process interleaves the epochs: glassnet, torch, sklearn, floor, glassnet,
... with a pause of a second between epochs, so that the threads of one contender's BLAS or OpenMP pool,
which spin for a while after their work, do not slow the next. The figure per contender is the median
over ``--epochs`` epochs (>= 5), and its peak memory is the worker's peak resident set size. Prints a
table with same-round ratios, then one JSON line.

    python benchmarks/bench_fashion_epoch.py [--epochs 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

CONTENDERS = ("glassnet", "torch", "sklearn", "matmul_floor")
SETTINGS: dict[str, dict[str, Any]] = {
    "sgd": {"sizes": (784, 256, 128, 10), "optimizer": "sgd", "lr": 0.1, "dropout": 0.0},
    "recipe": {"sizes": (784, 512, 256, 10), "optimizer": "adam", "lr": 1e-3, "dropout": 0.2},
}
BATCH = 128
SETTING = SETTINGS["sgd"]  # the worker's, set from the command line
PAUSE = 1.0  # seconds between epochs of different contenders


def load() -> tuple[np.ndarray, np.ndarray]:
    """The 60,000 training images as float32 in [0, 1] and their labels."""
    from glassnet.io.data import FASHION_MNIST_DIR, read_idx

    images = read_idx(FASHION_MNIST_DIR / "train-images-idx3-ubyte.gz")
    labels = read_idx(FASHION_MNIST_DIR / "train-labels-idx1-ubyte.gz")
    X = images.reshape(len(images), -1).astype(np.float32)
    X /= 255.0
    return X, labels.astype(np.int64)


class _Stop(Exception):
    """Raised from the epoch callback to end glassnet's training run."""


def run_glassnet(X: np.ndarray, y: np.ndarray, next_order: Any, report: Any) -> None:
    """One ``fit`` call for all epochs; after each epoch its callback reports the epoch's own time and
    waits for the next order, so the epochs interleave with the other contenders'."""
    from glassnet import Network, fit
    from glassnet.core.optimizers import make_optimizer

    net = Network(
        list(SETTING["sizes"]), activation="relu", loss="categorical_crossentropy", dtype="float32", seed=0,
        dropout=SETTING["dropout"],
    )  # fmt: skip
    T = np.eye(10, dtype=np.float32)[y]
    opt = make_optimizer(SETTING["optimizer"], SETTING["lr"])

    def on_epoch(info: Any) -> None:
        report(info.seconds)
        if not next_order():
            raise _Stop

    if next_order():
        try:
            fit(net, X, T, opt, epochs=10**6, batch_size=BATCH, shuffle=True, seed=0, on_epoch=on_epoch)
        except _Stop:
            pass


def make_torch(X: np.ndarray, y: np.ndarray) -> Any:
    import torch

    torch.manual_seed(0)
    sizes = SETTING["sizes"]
    layers: list[Any] = []
    for k, (i, o) in enumerate(itertools.pairwise(sizes)):
        layers.append(torch.nn.Linear(i, o))
        if k < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
            if SETTING["dropout"]:
                layers.append(torch.nn.Dropout(SETTING["dropout"]))
    model = torch.nn.Sequential(*layers)
    model.train()
    optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[SETTING["optimizer"]]
    opt = optimizer(model.parameters(), lr=SETTING["lr"])
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def epoch() -> None:
        perm = torch.randperm(len(Xt))
        for start in range(0, len(Xt), BATCH):
            index = perm[start : start + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(Xt[index]), yt[index])
            loss.backward()
            opt.step()

    return epoch


def make_sklearn(X: np.ndarray, y: np.ndarray) -> Any:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=SETTING["sizes"][1:-1],
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        learning_rate_init=SETTING["lr"],
        batch_size=BATCH,
        max_iter=1,
        shuffle=True,
        random_state=0,
    )

    def epoch() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)  # max_iter=1: one epoch

    return epoch


def make_floor(X: np.ndarray, y: np.ndarray) -> Any:
    rng = np.random.default_rng(0)
    sizes = SETTING["sizes"]
    W = [rng.normal(0, 0.05, size=(i, o)).astype(np.float32) for i, o in itertools.pairwise(sizes)]
    G = [np.empty_like(w) for w in W]

    def buffers(b: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        acts = [np.empty((b, n), np.float32) for n in sizes[1:]]
        grads = [np.empty((b, n), np.float32) for n in sizes[1:-1]]
        return acts, grads

    full, last = buffers(BATCH), buffers(len(X) % BATCH or BATCH)

    def epoch() -> None:
        for start in range(0, len(X), BATCH):
            xb = X[start : start + BATCH]
            acts, grads = full if len(xb) == BATCH else last
            np.matmul(xb, W[0], out=acts[0])
            np.matmul(acts[0], W[1], out=acts[1])
            np.matmul(acts[1], W[2], out=acts[2])
            np.matmul(acts[1].T, acts[2], out=G[2])
            np.matmul(acts[2], W[2].T, out=grads[1])
            np.matmul(acts[0].T, grads[1], out=G[1])
            np.matmul(grads[1], W[1].T, out=grads[0])
            np.matmul(xb.T, grads[0], out=G[0])

    return epoch


def worker(name: str) -> None:
    """Load the data, build the contender, then run one epoch per 'epoch' line on stdin."""
    X, y = load()

    def next_order() -> bool:
        return sys.stdin.readline().strip() == "epoch"

    def report(seconds: float) -> None:
        print(seconds, flush=True)

    print("ready", flush=True)
    if name == "glassnet":
        run_glassnet(X, y, next_order, report)
    else:
        epoch = {"torch": make_torch, "sklearn": make_sklearn, "matmul_floor": make_floor}[name](X, y)
        while next_order():
            start = time.perf_counter()
            epoch()
            report(time.perf_counter() - start)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(peak_kb / 1024, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per contender (median; >= 5)")
    parser.add_argument("--setting", choices=SETTINGS, default="sgd", help="what to train (default: sgd)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global SETTING
    SETTING = SETTINGS[args.setting]
    if args.worker:
        worker(args.worker)
        return
    contenders = [name for name in CONTENDERS if not (name == "sklearn" and args.setting == "recipe")]
    procs = {
        name: subprocess.Popen(
            [sys.executable, __file__, "--worker", name, "--setting", args.setting],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in contenders
    }
    for name, proc in procs.items():
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"the {name} worker failed to start")
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(max(5, args.epochs) + 1):  # the first round warms up and is not counted
        for name, proc in procs.items():
            assert proc.stdin is not None and proc.stdout is not None
            time.sleep(PAUSE)  # let the last contender's idle BLAS/OpenMP threads stop spinning
            proc.stdin.write("epoch\n")
            proc.stdin.flush()
            times[name].append(float(proc.stdout.readline()))
    peak = {}
    for name, proc in procs.items():
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("done\n")
        proc.stdin.flush()
        peak[name] = float(proc.stdout.readline())
        proc.wait()
    median = {name: statistics.median(v[1:]) for name, v in times.items()}
    # This machine's speed drifts over seconds (shared hosts); the ratios of epochs that ran side by side
    # in the same round are steadier than ratios of medians, so both are shown.
    ratio = {
        name: statistics.median(g / t for g, t in zip(times["glassnet"][1:], times[name][1:], strict=True))
        for name in contenders[1:]
    }
    setting = SETTING
    sizes = "-".join(map(str, setting["sizes"]))
    dropout = f", dropout {setting['dropout']}" if setting["dropout"] else ""
    print(
        f"One epoch of Fashion-MNIST, MLP {sizes}{dropout}, {setting['optimizer']} lr {setting['lr']}, "
        f"batch {BATCH}, float32"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
        f"OpenBLAS kernel {blas_kernel()}"
    )
    print(f"{'contender':<14}{'s/epoch':>9}{'peak MB':>9}{'glassnet/it':>13}  epochs (s)")
    for name in contenders:
        runs = " ".join(f"{t:.3f}" for t in times[name][1:])
        r = "" if name == "glassnet" else f"{ratio[name]:.2f}"
        print(f"{name:<14}{median[name]:>9.3f}{peak[name]:>9.0f}{r:>13}  {runs}")
    print(
        f"glassnet / torch = {ratio['torch']:.2f} (target <= 0.8), "
        + (f"glassnet / sklearn = {ratio['sklearn']:.2f}, " if "sklearn" in ratio else "")
        + f"glassnet / matmul floor = {ratio['matmul_floor']:.2f} (target <= 1.45), "
        f"memory glassnet {peak['glassnet']:.0f} MB vs torch {peak['torch']:.0f} MB (target: below)"
    )
    print(
        json.dumps(
            {
                "setting": args.setting,
                **{f"{name}_s": round(median[name], 4) for name in contenders},
                **{f"glassnet_per_{name}": round(ratio[name], 3) for name in contenders[1:]},
                "glassnet_rss_mb": round(peak["glassnet"], 1),
                "torch_rss_mb": round(peak["torch"], 1),
            }
        )
    )


def blas_kernel() -> str:
    """The kernel NumPy's OpenBLAS runs in this process's environment (as threadpoolctl reports it)."""
    import threadpoolctl

    return next(
        (
            str(i.get("architecture"))
            for i in threadpoolctl.threadpool_info()
            if i["internal_api"] == "openblas"
        ),
        "not OpenBLAS",
    )


if __name__ == "__main__":
    main()
