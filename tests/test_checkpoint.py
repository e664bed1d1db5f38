"""Checkpoints: exact resume after an interruption, through the API and through the command line."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from glassnet.core.model import train
from glassnet.io.checkpoint import from_bytes, load_checkpoint, to_bytes
from glassnet.io.modelfile import ModelFileError, load_model

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 4))
Y = np.where(X[:, 0] * X[:, 1] > 0, "a", "b")


def same_weights(a, b):
    return all(
        np.array_equal(p[0], q[0]) and np.array_equal(p[1], q[1])
        for p, q in zip(a.network.get_weights(), b.network.get_weights(), strict=True)
    )


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
@pytest.mark.parametrize("stop_after", [1, 13, 18, 40])
def test_resume_is_bit_identical(optimizer, stop_after):
    settings = dict(
        layers=[16, 8],
        optimizer=optimizer,
        lr=0.01 if optimizer == "adam" else 0.05,
        epochs=6,
        batch_size=32,
        dropout=0.2,
        schedule="cosine",
        patience=10,
        seed=3,
    )
    uninterrupted, _ = train(X, Y, **settings)
    calls = iter(range(1, 10**6))
    saved = {}

    def keep(checkpoint):
        saved["bytes"] = to_bytes(checkpoint, {})

    _, result = train(X, Y, stop_requested=lambda: next(calls) == stop_after, on_checkpoint=keep, **settings)
    assert result.reason == "interrupted"
    checkpoint, _ = from_bytes(saved["bytes"])
    resumed, final = train(X, Y, resume=checkpoint, **settings)
    assert final.reason == "max_epochs" and len(resumed.history) == 6
    assert same_weights(resumed, uninterrupted)
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in uninterrupted.history]


def test_resume_refuses_another_run():
    saved = {}
    train(X, Y, layers=[4], epochs=1, on_checkpoint=lambda c: saved.update(c=c))
    with pytest.raises(ValueError, match="layer sizes"):
        train(X, Y, layers=[5], epochs=2, resume=saved["c"])


def test_settings_are_checked_by_type_and_may_hold_the_callers_own(tmp_path):
    saved = {}
    train(X, Y, layers=[4], epochs=1, on_checkpoint=lambda c: saved.update(c=c))
    for settings, problem in (
        ({"epochs": 3, "generation": 7, "note": None, "tags": ["a", 1]}, None),
        ({"epochs": "3"}, "field 'settings.epochs': expected an integer; received a string \"3\""),
        ({"optimizer": "rmsprop"}, "field 'settings.optimizer': expected one of 'sgd', 'momentum', "),
        ({"generation": {"of": 7}}, "field 'settings.generation': expected a string, a number, "),
    ):
        data = to_bytes(saved["c"], settings)
        if problem is None:
            assert from_bytes(data)[1] == settings
            continue
        with pytest.raises(
            ModelFileError, match="is not a valid glassnet checkpoint: checkpoint metadata"
        ) as e:
            from_bytes(data)
        assert problem in str(e.value)


def write_csv(path, n=4000, seed=0):
    r = np.random.default_rng(seed)
    data = r.normal(size=(n, 6))
    label = np.where(data[:, 0] + data[:, 1] * data[:, 2] > 0, "yes", "no")
    with open(path, "w") as f:
        f.write("a,b,c,d,e,f,label\n")
        for row, y in zip(data, label, strict=True):
            f.write(",".join(f"{v:.5f}" for v in row) + f",{y}\n")


def glassnet(*args):
    """Run the command line to the end; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "glassnet", *args], capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    "optimizer, sig", [("sgd", signal.SIGINT), ("momentum", signal.SIGTERM), ("adam", signal.SIGINT)]
)
def test_cli_interrupt_and_resume_give_the_uninterrupted_model(tmp_path, optimizer, sig):
    data = tmp_path / "d.csv"
    write_csv(data)
    common = [
        str(data),
        "--layers",
        "32,16",
        "--optimizer",
        optimizer,
        "--dropout",
        "0.1",
        "--epochs",
        "30",
        "--batch-size",
        "16",
        "--seed",
        "5",
    ]
    full = glassnet("train", *common, "--save", str(tmp_path / "full.safetensors"))
    assert full.returncode == 0, full.stderr

    folder = tmp_path / "ck"
    command = [*common, "--checkpoint", str(folder), "--save", str(tmp_path / "resumed.safetensors")]
    run = subprocess.Popen(
        [sys.executable, "-m", "glassnet", "train", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (folder / "checkpoint.safetensors").exists():  # after the first epoch
        assert run.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    time.sleep(np.random.default_rng(sig).uniform(0.0, 0.3))
    os.kill(run.pid, sig)
    _, err = run.communicate(timeout=120)
    status = run.returncode
    if status == 0:
        pytest.skip("the run finished before the signal arrived")  # not expected: 30 epochs take seconds
    assert status == 128 + sig, err
    line = err.strip().splitlines()[-1]
    assert (
        line.startswith(f"stopped by {signal.Signals(sig).name}")
        and f"glassnet train --resume {folder}" in line
    )
    assert not (tmp_path / "resumed.safetensors").exists()  # an interrupted run writes no model

    resumed = glassnet("train", "--resume", str(folder), "--save", str(tmp_path / "resumed.safetensors"))
    assert resumed.returncode == 0, resumed.stderr
    a = load_model(tmp_path / "full.safetensors")
    b = load_model(tmp_path / "resumed.safetensors")
    assert same_weights(a, b)


def test_cli_resume_errors(tmp_path):
    status = subprocess.run(
        [sys.executable, "-m", "glassnet", "train", "--resume", str(tmp_path / "none")],
        capture_output=True,
        text=True,
    )
    assert status.returncode == 2 and status.stderr.startswith("error: no checkpoint in")
    data = tmp_path / "d.csv"
    write_csv(data, n=200)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "glassnet",
            "train",
            str(data),
            "--epochs",
            "1",
            "--checkpoint",
            str(tmp_path / "ck"),
        ],
        check=True,
        capture_output=True,
    )
    command = [sys.executable, "-m", "glassnet", "train", str(data), "--batch-size", "7", "--resume"]
    status = subprocess.run([*command, str(tmp_path / "ck")], capture_output=True, text=True)
    assert status.returncode == 2 and "batch_size=7 (checkpoint: 32)" in status.stderr
    checkpoint, settings = load_checkpoint(tmp_path / "ck")
    assert settings["epochs"] == 1 and checkpoint.state.epoch == 1
    (tmp_path / "ck" / "checkpoint.safetensors").write_bytes(b"junk")
    with pytest.raises(ModelFileError):
        load_checkpoint(tmp_path / "ck")


@pytest.mark.parametrize("labels", [np.where(Y == "a", 7, -2), np.where(Y == "a", 0.5, 2.0), Y == "a", Y])
def test_a_checkpoint_keeps_the_type_of_the_classes(labels):
    """Integer classes come back as integers (and floats as floats, true/false as true/false), so a
    resumed run finds the same classes as the data it continues on."""
    saved = {}
    train(X, labels, layers=[4], epochs=2, on_checkpoint=lambda c: saved.setdefault("bytes", to_bytes(c, {})))
    checkpoint, _ = from_bytes(saved["bytes"])
    classes = checkpoint.model.classes
    expected = sorted({v.item() if isinstance(v, np.generic) else v for v in labels.tolist()})
    assert classes == expected and [type(c) for c in classes] == [type(c) for c in expected]
    resumed, result = train(X, labels, layers=[4], epochs=2, resume=checkpoint)
    assert result.reason == "max_epochs" and resumed.classes == classes
