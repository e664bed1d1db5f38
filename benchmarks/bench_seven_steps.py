"""Speed of the seven steps: 10,000 single-sample steps of the worked example, trace off.

Runs glassnet's ``Network.step`` beside a hand-written NumPy loop and a hand-written plain-Python loop that
do the same work (forward, loss, backward, update of weights and shared biases), interleaved in one run,
and prints microseconds per step for each, then one JSON line.

    python benchmarks/bench_seven_steps.py [--steps 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time

import numpy as np

from glassnet import SGD
from glassnet.core.examples import PARAMETERS, worked_example


def glassnet_loop(steps: int) -> float:
    net, x, t, lr = worked_example(update_biases=True)
    opt = SGD(lr)
    start = time.perf_counter()
    for _ in range(steps):
        net.step(x, t, opt)
    return time.perf_counter() - start


def numpy_loop(steps: int) -> float:
    p = PARAMETERS
    W1 = np.array([[p["w1"], p["w3"]], [p["w2"], p["w4"]]])
    W2 = np.array([[p["w5"], p["w7"]], [p["w6"], p["w8"]]])
    b1 = np.array([p["b1"]])
    b2 = np.array([p["b2"]])
    x = np.array([[0.05, 0.10]])
    t = np.array([[0.01, 0.99]])
    lr = 0.5
    start = time.perf_counter()
    for _ in range(steps):
        h = 1.0 / (1.0 + np.exp(-(x @ W1 + b1)))
        o = 1.0 / (1.0 + np.exp(-(h @ W2 + b2)))
        err = o - t
        E = 0.5 * float(np.vdot(err, err))  # noqa: F841  (computed, as glassnet does)
        d_o = err * o * (1.0 - o)
        d_h = (d_o @ W2.T) * h * (1.0 - h)
        W2 -= lr * (h.T @ d_o)
        b2 -= lr * d_o.sum()
        W1 -= lr * (x.T @ d_h)
        b1 -= lr * d_h.sum()
    return time.perf_counter() - start


def python_loop(steps: int) -> float:
    p = PARAMETERS
    w1, w2, w3, w4, w5, w6, w7, w8 = (p[f"w{k}"] for k in range(1, 9))
    b1, b2 = p["b1"], p["b2"]
    i1, i2, t1, t2, lr = 0.05, 0.10, 0.01, 0.99, 0.5
    exp = math.exp
    start = time.perf_counter()
    for _ in range(steps):
        h1 = 1.0 / (1.0 + exp(-(w1 * i1 + w2 * i2 + b1)))
        h2 = 1.0 / (1.0 + exp(-(w3 * i1 + w4 * i2 + b1)))
        o1 = 1.0 / (1.0 + exp(-(w5 * h1 + w6 * h2 + b2)))
        o2 = 1.0 / (1.0 + exp(-(w7 * h1 + w8 * h2 + b2)))
        E = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2  # noqa: F841
        d_o1 = (o1 - t1) * o1 * (1.0 - o1)
        d_o2 = (o2 - t2) * o2 * (1.0 - o2)
        d_h1 = (d_o1 * w5 + d_o2 * w7) * h1 * (1.0 - h1)
        d_h2 = (d_o1 * w6 + d_o2 * w8) * h2 * (1.0 - h2)
        w5 -= lr * d_o1 * h1
        w6 -= lr * d_o1 * h2
        w7 -= lr * d_o2 * h1
        w8 -= lr * d_o2 * h2
        b2 -= lr * (d_o1 + d_o2)
        w1 -= lr * d_h1 * i1
        w2 -= lr * d_h1 * i2
        w3 -= lr * d_h2 * i1
        w4 -= lr * d_h2 * i2
        b1 -= lr * (d_h1 + d_h2)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    loops = {"glassnet": glassnet_loop, "numpy_loop": numpy_loop, "python_loop": python_loop}
    times: dict[str, list[float]] = {name: [] for name in loops}
    for loop in loops.values():
        loop(1000)  # warm up
    for _ in range(args.repeats):
        for name, loop in loops.items():
            times[name].append(loop(args.steps) / args.steps * 1e6)
    us = {name: statistics.median(v) for name, v in times.items()}
    print(f"{args.steps} single-sample steps of the worked example, median of {args.repeats} runs")
    print(f"{'loop':<14}{'us/step':>10}{'vs numpy loop':>16}")
    for name, value in us.items():
        print(f"{name:<14}{value:>10.2f}{value / us['numpy_loop']:>15.2f}x")
    print(
        json.dumps(
            {
                "glassnet_us_per_step": round(us["glassnet"], 3),
                "numpy_loop_us_per_step": round(us["numpy_loop"], 3),
                "python_loop_us_per_step": round(us["python_loop"], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
