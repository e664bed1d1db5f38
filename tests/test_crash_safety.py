"""Crash safety: SIGKILL a process while it writes model files and checkpoints, over and over. Every file
left behind is a complete old or new version, and training resumes from the checkpoint."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from glassnet.core.model import train
from glassnet.io.checkpoint import load_checkpoint
from glassnet.io.modelfile import load_model

KILLS = 50

WRITER = """
import sys, numpy as np
from glassnet.core.model import train
from glassnet.io.checkpoint import save_checkpoint
from glassnet.io.modelfile import save_model
folder, start = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
X = rng.normal(size=(400, 64)); y = np.where(X[:, 0] > 0, "a", "b")
saved = {}
model, _ = train(X, y, layers=[512, 256], optimizer="adam", epochs=1, seed=1,
                 on_checkpoint=lambda c: saved.update(c=c))
print("ready", flush=True)
generation = start
while True:
    generation += 1
    model.settings["generation"] = generation
    save_model(model, folder + "/model.safetensors")
    save_checkpoint(folder + "/ck", saved["c"], {"generation": generation})
"""


def test_files_survive_sigkill_at_random_moments(tmp_path):
    rng = np.random.default_rng(2024)
    last_model = last_checkpoint = 0
    kills_during_writes = 0
    for _ in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(last_model)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))
        os.kill(writer.pid, signal.SIGKILL)
        writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL
        leftovers = list(tmp_path.glob(".*.tmp")) + list((tmp_path / "ck").glob(".*.tmp"))
        kills_during_writes += bool(leftovers)
        if not (tmp_path / "model.safetensors").exists():
            continue  # killed before its first save completed
        model = load_model(tmp_path / "model.safetensors")  # complete, or this raises
        generation = model.settings["generation"]
        assert generation >= last_model
        last_model = generation
        if (tmp_path / "ck" / "checkpoint.safetensors").exists():
            _, settings = load_checkpoint(tmp_path / "ck")
            assert settings["generation"] >= last_checkpoint
            last_checkpoint = settings["generation"]
    assert last_model > 0 and last_checkpoint > 0
    # the kills did land in the middle of writes: some of them, how many depends on the machine's speed
    assert kills_during_writes >= 3

    rng = np.random.default_rng(0)  # resume the checkpointed run to its end
    X = rng.normal(size=(400, 64))
    y = np.where(X[:, 0] > 0, "a", "b")
    checkpoint, _ = load_checkpoint(tmp_path / "ck")
    _, result = train(X, y, layers=[512, 256], optimizer="adam", epochs=2, seed=1, resume=checkpoint)
    assert result.reason == "max_epochs" and result.epochs == 2


def test_training_killed_repeatedly_still_ends_with_the_uninterrupted_model(tmp_path):
    from .test_checkpoint import same_weights, write_csv

    data = tmp_path / "d.csv"
    write_csv(data, n=3000)
    common = [
        str(data),
        "--layers",
        "32",
        "--optimizer",
        "adam",
        "--dropout",
        "0.1",
        "--epochs",
        "25",
        "--batch-size",
        "16",
        "--seed",
        "9",
    ]
    run = [sys.executable, "-m", "glassnet", "train"]
    subprocess.run(
        [*run, *common, "--save", str(tmp_path / "full.safetensors")], check=True, capture_output=True
    )
    folder, model = tmp_path / "ck", tmp_path / "m.safetensors"
    command = [*run, *common, "--checkpoint", str(folder), "--save", str(model)]
    rng = np.random.default_rng(7)
    for _ in range(5):
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.8, 1.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        if folder.exists():
            command = [*run, "--resume", str(folder), "--save", str(model)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert same_weights(load_model(model), load_model(tmp_path / "full.safetensors"))
    assert not list(Path(folder).glob(".*.tmp"))
