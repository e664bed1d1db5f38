"""``glassnet train --resume DIR``: the checkpoint's settings, and the checkpoints it refuses."""

import numpy as np

from glassnet.core.model import train
from glassnet.interfaces.checkpoint import save_checkpoint

from .test_cli import run
from .test_cli_train import write_csv


def test_resume_refuses_options_that_differ_from_the_checkpoint(tmp_path):
    data = write_csv(tmp_path / "d.csv")
    folder = str(tmp_path / "ck")
    assert run("train", data, "--epochs", "1", "--checkpoint", folder)[0] == 0
    status, _, err = run("train", "--resume", folder, "--epochs", "10")
    assert status == 2 and "epochs=10 (checkpoint: 1)" in err


def test_a_checkpoint_with_unusable_settings_is_refused(tmp_path):
    saved = {}
    rng = np.random.default_rng(0)
    train(
        rng.normal(size=(20, 2)),
        ["a", "b"] * 10,
        layers=[3],
        epochs=1,
        on_checkpoint=lambda c: saved.update(c=c),
    )
    save_checkpoint(tmp_path / "ck", saved["c"], {"data": "d.csv", "layers": None})
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
