"""Ctrl-C and SIGTERM during ``glassnet train``: stop at a batch boundary and say what was kept."""

import os
import re
import signal

import pytest

from glassnet.cli import main
from glassnet.cli import train as train_command
from glassnet.cli.signals import StopOnSignal

from .test_cli_train import write_csv


def test_the_first_signal_asks_to_stop_and_the_second_stops_at_once():
    before = signal.getsignal(signal.SIGTERM)
    with StopOnSignal() as stop:
        assert not stop()
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop() and stop.name == "SIGTERM" and stop.exit_status == 128 + signal.SIGTERM
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGTERM) is before


def signal_in_the_first_batch(monkeypatch, sig):
    """The signal arrives during the first batch's progress update of the next in-process run."""
    progress_bar = train_command.train_progress

    def signalling(console, epochs, batches, **options):
        progress, on_batch, on_epoch = progress_bar(console, epochs, batches, **options)

        def on_batch_then_signal(epoch, batch, loss):
            on_batch(epoch, batch, loss)
            os.kill(os.getpid(), sig)

        return progress, on_batch_then_signal, on_epoch

    monkeypatch.setattr(train_command, "train_progress", signalling)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_without_checkpoint_or_save_says_nothing_was_saved(tmp_path, monkeypatch, capsys, sig):
    signal_in_the_first_batch(monkeypatch, sig)
    status = main(["train", write_csv(tmp_path / "d.csv"), "--epochs", "5"])
    assert status == 128 + sig
    (line,) = capsys.readouterr().err.splitlines()
    name = signal.Signals(sig).name
    hint = "(train with --checkpoint DIR to be able to resume)"
    assert re.fullmatch(
        rf"error: stopped by {name} in epoch 1, batch \d+; nothing was saved {re.escape(hint)}", line
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_without_checkpoint_keeps_the_model_trained_so_far(tmp_path, monkeypatch, capsys, sig):
    from glassnet.io.modelfile import load_model

    signal_in_the_first_batch(monkeypatch, sig)
    model = tmp_path / "m.safetensors"
    status = main(["train", write_csv(tmp_path / "d.csv"), "--epochs", "5", "--save", str(model)])
    assert status == 128 + sig
    (line,) = capsys.readouterr().err.splitlines()
    name = signal.Signals(sig).name
    assert re.fullmatch(
        rf"stopped by {name} in epoch 1, batch \d+; the model trained so far was saved to "
        rf"{re.escape(str(model))} \(train with --checkpoint DIR to be able to resume\)",
        line,
    )
    assert load_model(model).feature_names == ["a", "b"]
