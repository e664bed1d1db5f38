"""``glassnet train --resume DIR``: the checkpoint's settings, and the checkpoints it refuses."""

import json

import numpy as np
import pytest

from glassnet.cli import build_parser
from glassnet.cli.settings import TRAINING_SETTINGS, unusable_settings
from glassnet.core.activations import ACTIVATIONS
from glassnet.core.model import TASKS, train
from glassnet.core.network import DTYPES
from glassnet.core.optimizers import OPTIMIZER_NAMES, SCHEDULES
from glassnet.io.checkpoint import load_checkpoint, save_checkpoint

from .test_cli import run
from .test_cli_train import write_csv


def test_resume_refuses_options_that_differ_from_the_checkpoint(tmp_path):
    data = write_csv(tmp_path / "d.csv")
    folder = str(tmp_path / "ck")
    assert run("train", data, "--epochs", "2", "--checkpoint", folder)[0] == 0
    status, _, err = run("train", "--resume", folder, "--batch-size", "7")
    assert status == 2 and "batch_size=7 (checkpoint: 32)" in err
    status, _, err = run("train", "--resume", folder, "--lr", "0.5")
    assert status == 2 and "lr=0.5 (checkpoint: not given: the default)" in err
    status, _, err = run("train", "--resume", folder, "--epochs", "1")  # only more epochs are allowed
    assert status == 2 and "epochs=1 (checkpoint: 2)" in err and "only --epochs may be raised" in err
    status, _, err = run("train", "--resume", folder, "--init-from", data)
    assert status == 2 and "--init-from starts a new run" in err


def test_resume_may_go_on_for_more_epochs_than_planned(tmp_path):
    data = write_csv(tmp_path / "d.csv")
    folder = str(tmp_path / "ck")
    assert run("train", data, "--epochs", "1", "--checkpoint", folder, "--init", "he")[0] == 0
    status, out, err = run("train", "--resume", folder, "--epochs", "3", "--json")
    assert status == 0, err
    summary = json.loads(out)
    assert summary["epochs"] == 3 and [h["epoch"] for h in summary["history"]] == [1, 2, 3]
    checkpoint, settings = load_checkpoint(folder)
    assert checkpoint.state.epoch == 3
    assert settings["epochs"] == 3 and settings["init"] == "he"  # the new plan, and the options kept


def test_a_checkpoint_with_unusable_settings_is_refused(tmp_path):
    checkpoint_with(tmp_path / "ck", {"data": "d.csv", "layers": None})
    status, _, err = run("train", "--resume", str(tmp_path / "ck"))
    assert status == 2 and "unusable settings" in err and "layers=None" in err


def test_resume_from_a_damaged_checkpoint_is_one_error_line(tmp_path):
    folder = tmp_path / "ck"
    folder.mkdir()
    (folder / "checkpoint.safetensors").write_bytes(b"\x10" + b"\x00" * 40)
    status, _, err = run("train", "--resume", str(folder))
    assert (
        status == 2 and err.startswith("error:") and "not a valid glassnet" in err and "Traceback" not in err
    )


def checkpoint_with(folder, settings):
    """A real checkpoint in ``folder`` whose stored settings are ``settings``."""
    saved = {}
    rng = np.random.default_rng(0)
    train(
        rng.normal(size=(20, 2)),
        ["a", "b"] * 10,
        layers=[3],
        epochs=1,
        on_checkpoint=lambda c: saved.update(c=c),
    )
    save_checkpoint(folder, saved["c"], settings)
    return str(folder)


@pytest.mark.parametrize(
    "key, names",
    [
        ("task", ["auto", *TASKS]),
        ("activation", list(ACTIVATIONS)),
        ("optimizer", OPTIMIZER_NAMES),
        ("schedule", SCHEDULES),
        ("dtype", DTYPES),
    ],
)
def test_the_checks_take_every_registered_name_and_nothing_else(key, names):
    defaults = vars(build_parser().parse_args(["train", "iris"]))
    settings = {name: defaults[name] for name in TRAINING_SETTINGS}
    assert unusable_settings(settings) == []  # what train stores by default can be resumed
    for name in names:
        assert unusable_settings({**settings, key: name}) == []
    for bad in ("nonsense", [names[0]], None, 1):
        assert unusable_settings({**settings, key: bad}) == [key]


@pytest.mark.parametrize(
    "settings, shown",
    [
        ({"activation": ["relu"]}, ("settings.activation", 'a list ["relu"]')),
        ({"epochs": True}, ("settings.epochs", "true")),
    ],
)
def test_a_setting_of_the_wrong_type_is_refused_in_one_line(tmp_path, settings, shown):
    """The checkpoint's schema refuses it on loading, naming the field and the bad value."""
    folder = checkpoint_with(tmp_path / "ck", {"data": "d.csv", **settings})
    status, out, err = run("train", "--resume", folder)
    assert status == 2 and err.startswith("error:") and all(words in err for words in shown)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err + out


def interrupt_during_the_first_batch(monkeypatch):
    """Make the next in-process ``glassnet train`` receive SIGINT during its first batch."""
    import os
    import signal

    from glassnet.cli import train as train_command

    progress_bar = train_command.train_progress

    def signalling(console, epochs, batches, **options):
        progress, on_batch, on_epoch = progress_bar(console, epochs, batches, **options)

        def on_batch_then_signal(epoch, batch, loss):
            on_batch(epoch, batch, loss)
            os.kill(os.getpid(), signal.SIGINT)

        return progress, on_batch_then_signal, on_epoch

    monkeypatch.setattr(train_command, "train_progress", signalling)


def test_resume_writes_the_outputs_the_interrupted_run_asked_for(tmp_path, monkeypatch, capsys):
    from glassnet.cli import main

    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "d.csv")
    interrupt_during_the_first_batch(monkeypatch)
    status = main(["train", "d.csv", "--epochs", "3", "--checkpoint", "ck", "--save", "big.safetensors"])
    assert status == 130
    err = capsys.readouterr().err
    assert "resume with: glassnet train --resume ck" in err and not (tmp_path / "big.safetensors").exists()
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--resume", "ck", "--json"]) == 0  # --json given now; --save remembered
    summary = json.loads(capsys.readouterr().out)
    assert summary["model"] == str((tmp_path / "big.safetensors").resolve())  # the checkpoint's absolute path
    assert (tmp_path / "big.safetensors").exists()
    assert summary["epochs"] == 3


def test_outputs_given_on_resume_replace_the_remembered_ones(tmp_path, monkeypatch, capsys):
    from glassnet.cli import main

    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "d.csv")
    interrupt_during_the_first_batch(monkeypatch)
    main(["train", "d.csv", "--epochs", "2", "--checkpoint", "ck", "--save", "a.safetensors", "--json"])
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["train", "--resume", "ck", "--save", "b.safetensors"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["model"] == "b.safetensors"  # --json remembered, --save replaced
    assert (tmp_path / "b.safetensors").exists() and not (tmp_path / "a.safetensors").exists()


@pytest.mark.parametrize(
    "key, bad",
    [("seed", -1), ("layers", [4] * 63), ("epochs", 2**60), ("target", "x" * 10_001), ("lr", float("inf"))],
)
def test_the_checks_are_the_checkpoint_schemas(key, bad):
    """One source of truth: what the checkpoint's schema refuses, --resume refuses too."""
    from glassnet.io.schema import TrainingSettings

    defaults = vars(build_parser().parse_args(["train", "iris"]))
    settings = {name: defaults[name] for name in TRAINING_SETTINGS}
    assert set(TRAINING_SETTINGS) <= set(TrainingSettings.model_fields)
    assert unusable_settings({**settings, key: bad}) == [key]
