"""How many threads NumPy's BLAS may use: ``threads=`` of fit, train and the estimators, ``--threads`` of
the command line. The count is read with threadpoolctl, independently of glassnet's own ``blas.info``."""

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from glassnet import cli
from glassnet.core import blas
from glassnet.core.errors import GlassnetError
from glassnet.core.model import train
from glassnet.core.network import Network
from glassnet.core.training import MAX_THREADS, check_threads, fit

from .cli_help import REQUIRED, help_entries, parsed

BAD = [0, -1, 1.5, True, "2"]  # Python values: not counts (True is not 1, "2" is text)
BAD_TEXT = ["0", "-1", "1.5", "True", "two", ""]  # what a command line can give instead of an integer >= 1
BEFORE = 3  # the count each test sets first, so that a limit to 1 shows on a machine of any core count
COMPUTING = ["demo", "explain", "gradcheck", "writeup", "train", "evaluate", "predict", "explore"]


def numpy_blas_threads() -> int:
    """The thread count of the BLAS NumPy uses, as threadpoolctl reads it."""
    from threadpoolctl import threadpool_info

    pools = [p for p in threadpool_info() if os.path.basename(p["filepath"]) == blas.info().path]
    assert len(pools) == 1, threadpool_info()
    return int(pools[0]["num_threads"])


@pytest.fixture
def blas_at_3() -> Iterator[None]:
    """NumPy's BLAS at BEFORE threads for the test (threadpoolctl's limit, restored after it)."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    assert blas.info().found, "NumPy's OpenBLAS was not found: threads= would change nothing here"
    with threadpoolctl.threadpool_limits(BEFORE, user_api="blas"):
        assert numpy_blas_threads() == BEFORE
        yield


def data(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(n, 3))
    return X, np.where(X[:, 0] > 0, "yes", "no")


# ---------------------------------------------------------------------------------------- fit and train
@pytest.mark.parametrize("threads", [1, 2])
def test_fit_holds_blas_to_the_threads_given_and_restores_the_count(blas_at_3, threads):
    net = Network([3, 8, 2], activation="tanh", loss="mse", seed=0)
    X, labels = data()
    T = np.eye(2)[(labels == "yes").astype(int)]
    seen = []

    def record(info):
        seen.append((numpy_blas_threads(), blas.info().threads))

    fit(net, X, T, 0.1, epochs=3, batch_size=8, threads=threads, on_epoch=record)
    assert seen == [(threads, threads)] * 3
    assert numpy_blas_threads() == BEFORE


@pytest.mark.parametrize("threads, during", [(1, 1), (2, 2), (None, BEFORE)])
def test_train_holds_blas_to_the_threads_given_and_restores_the_count(blas_at_3, threads, during):
    seen = []
    train(
        *data(),
        layers=[8],
        epochs=2,
        batch_size=16,
        threads=threads,
        on_epoch=lambda info: seen.append(numpy_blas_threads()),
    )
    assert seen == [during, during]
    assert numpy_blas_threads() == BEFORE


def test_the_count_is_restored_when_training_fails(blas_at_3):
    def fail(info):
        assert numpy_blas_threads() == 1
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        train(*data(), layers=[4], epochs=2, threads=1, on_epoch=fail)
    assert numpy_blas_threads() == BEFORE


@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_train_refuses_a_bad_thread_count_first_naming_it(bad):
    """Checked at the start: before the task, the data or a single weight."""
    with pytest.raises(GlassnetError, match=re.escape(f"received: threads={bad!r}")):
        train(*data(), task="nonsense", threads=bad)
    with pytest.raises(GlassnetError, match=re.escape(f"received: threads={bad!r}")):
        fit(Network([3, 2]), np.zeros((4, 3)), np.zeros((4, 2)), 0.1, threads=bad)


def test_train_documents_threads():
    doc = " ".join((train.__doc__ or "").split())
    assert "``threads`` limits NumPy's BLAS" in doc and "None, the default" in doc
    assert "1 is often faster" in doc


# ---------------------------------------------------------------------------------------- the estimators
def _estimators():
    pytest.importorskip("sklearn")
    from glassnet.sklearn import GlassClassifier, GlassRegressor

    return GlassClassifier, GlassRegressor


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_the_estimators_hold_blas_to_threads_in_fit_partial_fit_and_predicting(blas_at_3, monkeypatch, kind):
    from glassnet.core.model import Model

    classifier, regressor = _estimators()
    X, labels = data()
    y = labels if kind == "classifier" else X @ [1.0, -2.0, 0.5]
    Estimator = classifier if kind == "classifier" else regressor
    seen: list[tuple[str, int]] = []
    # verbose=True makes each epoch call _report, inside training; Model.outputs is every prediction's
    monkeypatch.setattr(Estimator, "_report", lambda self, info: seen.append(("epoch", numpy_blas_threads())))
    outputs = Model.outputs

    def recorded_outputs(self, X, batch_size=8192):
        seen.append(("outputs", numpy_blas_threads()))
        return outputs(self, X, batch_size)

    monkeypatch.setattr(Model, "outputs", recorded_outputs)
    est = Estimator(hidden_layer_sizes=(4,), max_iter=2, n_iter_no_change=np.inf, verbose=True, threads=1)
    est.fit(X, y)
    est.partial_fit(X, y)
    est.predict(X)
    est.score(X, y)
    if kind == "classifier":
        est.predict_proba(X)
        est.predict_log_proba(X)
    assert seen == [("epoch", 1)] * 3 + [("outputs", 1)] * (4 if kind == "classifier" else 2)
    assert numpy_blas_threads() == BEFORE
    seen.clear()
    est.set_params(threads=None).predict(X)  # None leaves the count as it is
    assert seen == [("outputs", BEFORE)]


@pytest.mark.parametrize("bad", [*BAD, np.True_], ids=repr)
def test_the_estimators_refuse_a_bad_thread_count_at_fit_naming_it(bad):
    for Estimator in _estimators():
        X, labels = data(20)
        y = labels if Estimator.__name__ == "GlassClassifier" else X[:, 0]
        message = (
            f"The 'threads' parameter of {Estimator.__name__} must be an int in the range [1, {MAX_THREADS}] "
            "or None"
        )
        with pytest.raises(ValueError, match=re.escape(message) + ".*" + re.escape(f"Got {bad!r} instead")):
            Estimator(threads=bad, max_iter=1).fit(X, y)
        with pytest.raises(ValueError, match=re.escape(f"Got {bad!r} instead")):
            Estimator(threads=bad, max_iter=1).partial_fit(X, y)
        fitted = Estimator(hidden_layer_sizes=(2,), max_iter=1, n_iter_no_change=np.inf).fit(X, y)
        fitted.set_params(threads=bad)  # scikit-learn's rule: set_params stores, the next call checks
        with pytest.raises(ValueError, match=re.escape(f"Got {bad!r} instead")):
            fitted.predict(X)


def test_the_estimators_take_numpy_integers():
    for Estimator in _estimators():
        X, labels = data(20)
        y = labels if Estimator.__name__ == "GlassClassifier" else X[:, 0]
        est = Estimator(hidden_layer_sizes=(2,), max_iter=1, n_iter_no_change=np.inf, threads=np.int64(1))
        assert est.fit(X, y).predict(X).shape == (20,)


def test_threads_survives_get_params_set_params_and_clone():
    pytest.importorskip("sklearn")
    from sklearn.base import clone

    for Estimator in _estimators():
        est = Estimator(threads=2)
        assert est.get_params()["threads"] == 2 and Estimator().get_params()["threads"] is None
        assert clone(est).threads == 2 and clone(est).get_params() == est.get_params()
        assert clone(est.set_params(threads=1)).threads == 1
        assert "threads : int or None, default=None" in (Estimator.__doc__ or "")


def test_a_clone_trains_with_the_threads_it_was_given(blas_at_3, monkeypatch):
    from sklearn.base import clone

    classifier, _ = _estimators()
    seen = []
    monkeypatch.setattr(classifier, "_report", lambda self, info: seen.append(numpy_blas_threads()))
    est = clone(
        classifier(hidden_layer_sizes=(2,), max_iter=2, n_iter_no_change=np.inf, verbose=True, threads=2)
    )
    est.fit(*data())
    assert seen == [2, 2]


# ---------------------------------------------------------------------------------------- the command line
def _argv(command: str, tmp_path) -> list[str]:
    """The shortest valid command line of ``command``."""
    return {
        "writeup": ["writeup", "-o", str(tmp_path / "step.html")],
        "train": ["train", "moons"],
        "evaluate": ["evaluate", "model.safetensors", "moons"],
        "predict": ["predict", "model.safetensors", "moons"],
        "explore": ["explore", "--no-browser"],
    }.get(command, [command])


def test_every_command_that_computes_takes_threads_and_export_does_not(capsys):
    with_threads = {name for name in cli.COMMANDS if "--threads N" in help_entries([name])}
    assert with_threads == set(COMPUTING) == set(cli.COMMANDS) - {"export"}  # export computes nothing


@pytest.mark.parametrize("command", COMPUTING)
def test_threads_help_names_the_default(command):
    text = help_entries([command])["--threads N"]  # as `glassnet COMMAND --help` prints it
    assert parsed([command, *REQUIRED.get(command, [])])["threads"] is None
    assert "(default: as NumPy's BLAS is set, one thread per core)" in text
    assert "--threads 1" in text


@pytest.mark.parametrize("command", COMPUTING)
def test_each_command_runs_under_the_limit_and_restores_the_count(blas_at_3, monkeypatch, tmp_path, command):
    seen = []
    monkeypatch.setitem(cli.COMMANDS, command, lambda args: seen.append(numpy_blas_threads()) or 0)
    assert cli.main([*_argv(command, tmp_path), "--threads", "1"]) == 0
    assert cli.main([*_argv(command, tmp_path), "--threads", "2"]) == 0
    assert cli.main(_argv(command, tmp_path)) == 0  # not given: as it was
    assert seen == [1, 2, BEFORE]
    assert numpy_blas_threads() == BEFORE


def test_train_trains_under_the_limit(blas_at_3, monkeypatch, capsys):
    from glassnet.cli import train as train_command

    seen = []

    def recorded_train(*args, on_epoch, **kwargs):
        def record(info):
            seen.append(numpy_blas_threads())
            on_epoch(info)

        return train(*args, on_epoch=record, **kwargs)

    monkeypatch.setattr(train_command, "train_model", recorded_train)
    assert cli.main(["train", "moons", "--epochs", "2", "--json", "--threads", "1"]) == 0
    assert seen == [1, 1] and '"epochs": 2' in capsys.readouterr().out
    assert numpy_blas_threads() == BEFORE


@pytest.mark.needs("fastapi", "uvicorn")
def test_explore_serves_under_the_limit_for_as_long_as_it_runs(blas_at_3, monkeypatch, capsys):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    seen = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.append(numpy_blas_threads()))
    assert cli.main(["explore", "--port", str(port), "--no-browser", "--threads", "1"]) == 0
    assert seen == [1]
    assert numpy_blas_threads() == BEFORE


@pytest.mark.parametrize("command", COMPUTING)
@pytest.mark.parametrize("bad", BAD_TEXT)
def test_a_bad_thread_count_is_one_error_line_and_status_2(capsys, monkeypatch, tmp_path, command, bad):
    monkeypatch.setitem(
        cli.COMMANDS, command, lambda args: pytest.fail(f"{command} ran with --threads {bad!r}")
    )
    with pytest.raises(SystemExit) as stop:
        cli.main([*_argv(command, tmp_path), "--threads", bad])
    assert stop.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    expected = f"error: argument --threads: expected an integer from 1 to {MAX_THREADS}; received: {bad!r}"
    assert lines[0].startswith(expected)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_thread_count_from_the_shell():
    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", "train", "moons", "--threads", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"error: argument --threads: expected an integer from 1 to {MAX_THREADS}; received: '0' "
        "(see 'glassnet train --help')"
    ]


@pytest.mark.parametrize("threads", [MAX_THREADS + 1, 2**32 + 1])
def test_a_thread_count_beyond_any_machine_is_refused_not_wrapped(threads):
    """OpenBLAS takes a C int: 2**32 + 1 would silently become 1 thread. Refused everywhere instead."""
    with pytest.raises(GlassnetError, match=f"from 1 to {MAX_THREADS}"):
        check_threads(threads)
    assert check_threads(MAX_THREADS) == MAX_THREADS
