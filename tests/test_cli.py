"""The command line, through its entry point."""

import json
import re
import subprocess
import sys

import pytest

from glassnet.cli import COMMANDS, build_parser, main
from glassnet.core.activations import ACTIVATIONS
from glassnet.core.losses import LOSSES
from glassnet.core.model import TASKS
from glassnet.core.network import BIAS_MODES, DTYPES
from glassnet.core.optimizers import OPTIMIZER_NAMES, SCHEDULES
from glassnet.io.data import DATASETS

from .cli_help import REQUIRED, accepts, dest, help_entries, parsed
from .reference import BIASES_FROZEN, BIASES_UPDATED, STEP_1_BACKWARD, STEP_1_FORWARD


def run(*args):
    """Run ``python -m glassnet`` as a user would; returns (status, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "glassnet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_demo_shows_the_seven_steps_and_converges():
    status, out, err = run("demo")
    assert status == 0, err
    for heading in (
        "Initialize",
        "Forward propagation",
        "Loss",
        "output layer",
        "hidden layers",
        "Update",
        "Repeat",
    ):
        assert heading in out
    assert "E_total = E_o1 + E_o2 = 0.274811083 + 0.023560026 = 0.298371109" in out
    assert (
        "dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5 = 0.74136507 * 0.186815602 * 0.593269992 = "
        "0.082167041" in out
    )
    assert "w5+ = w5 - eta * dE/dw5 = 0.4 - 0.5*0.082167041 = 0.35891648" in out
    updates = int(re.search(r"after ([\d,]+) updates", out).group(1).replace(",", ""))
    assert f"<= tolerance 1e-05 when update {updates:,} was computed" in out
    assert "out_o1 = 0.01" in out


def test_demo_json_is_the_full_precision_trace(capsys):
    assert main(["demo", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["loss_total"] == pytest.approx(STEP_1_FORWARD["E_total"], rel=1e-12)
    w5 = next(p for p in data["parameters"] if p["name"] == "w5")
    assert w5["grad"] == pytest.approx(STEP_1_BACKWARD["dE_dw5"], rel=1e-12)
    assert len(repr(w5["grad"])) > 15  # not rounded


@pytest.mark.parametrize("flags, table", [([], BIASES_FROZEN), (["--update-biases"], BIASES_UPDATED)])
def test_demo_iterations_json(capsys, flags, table):
    assert main(["demo", "--iterations", "10000", "--json", *flags]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["updates"] == 10000
    for key in ("E_total", "out_o1", "out_o2"):
        assert data[key] == pytest.approx(table[10000][key], rel=1e-9)


def test_demo_iterations_without_json(capsys):
    assert main(["demo", "--iterations", "3"]) == 0
    out = capsys.readouterr().out
    assert "after 3 updates" in out and "it made the 3 updates asked for" in out


@pytest.mark.parametrize("form", ["--markdown", "--json", None])
def test_explain_any_network(capsys, form):
    args = ["explain", "--layers", "3,4,2", "--activation", "tanh", "--loss", "mse", "--seed", "7"]
    assert main([*args, form] if form else args) == 0
    out = capsys.readouterr().out
    if form == "--json":
        data = json.loads(out)
        assert data["sizes"] == [3, 4, 2] and data["activations"] == ["tanh", "tanh"]
        assert len(data["parameters"]) == 3 * 4 + 4 * 2 + 4 + 2
    elif form == "--markdown":
        assert r"\frac{\partial E}{\partial w_{13}} = " in out
        assert (
            r"\mathrm{net}_{\mathrm{h1}} = w_{1} \cdot i_{1} + w_{2} \cdot i_{2} + w_{3} \cdot i_{3} "
            r"+ b_{1} \cdot 1" in out
        )
    else:
        assert "dE/dw13 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw13" in out
        assert "net_h1 = w1*i1 + w2*i2 + w3*i3 + b1*1" in out


def test_explain_with_given_input_and_target(capsys):
    assert main(["explain", "--input", "0.05,0.1", "--target", "0.01,0.99", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"] == {"i1": 0.05, "i2": 0.1}


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "identity"])
def test_gradcheck_passes(capsys, activation):
    assert main(["gradcheck", "--layers", "3,4,2", "--activation", activation, "--loss", "mse"]) == 0
    assert "largest relative error" in capsys.readouterr().out


def test_gradcheck_fails_on_a_broken_backward(capsys, monkeypatch):
    from glassnet.core import activations

    monkeypatch.setattr(activations.Tanh, "backward", lambda self, z, a, g, out=None: g)
    assert main(["gradcheck", "--activation", "tanh"]) == 1
    assert "FAILED" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, words",
    [
        (["explain", "--layers", "3,0,2"], "--layers"),
        (["explain", "--layers", "a,b"], "'a,b'"),
        (["explain", "--activation", "sigmod"], "sigmod"),
        (["explain", "--loss", "hinge"], "hinge"),
        (["explain", "--lr", "0"], "'0'"),
        (["explain", "--lr", "nan"], "'nan'"),
        (["explain", "--input", "1,2,3"], "(1, 3)"),
        (["explain", "--input", "1,x"], "'1,x'"),
        (["explain", "--target", "inf,1"], "'inf,1'"),
        (["demo", "--iterations", "-5"], "'-5'"),
        (["gradcheck", "--batch", "0"], "'0'"),
        (["explain", "--seed", "-1"], "expected an integer >= 0; received: '-1'"),
        (["gradcheck", "--seed", "-1"], "expected an integer >= 0; received: '-1'"),
        (["train", "iris", "--seed", "-1"], "expected an integer >= 0; received: '-1'"),
        (["nonsense"], "nonsense"),
        ([], "required"),
        (["train", "iris", "--dropout", "1"], "argument --dropout: expected a rate in [0, 1); received: '1'"),
        (
            ["train", "iris", "--epochs", "9007199254740993"],
            "expected at most 2**53; received: '9007199254740993'",
        ),
        (["explain", "--layers", "2,16777217"], "integers from 1 to 16777216"),
        (["train", "iris", "--class-weight", "a=-1"], "label=weight pairs with weights a finite number >= 0"),
    ],
)
def test_bad_input_is_one_error_line_and_status_2(args, words):
    status, out, err = run(*args)
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], err
    assert "Traceback" not in err + out


@pytest.mark.parametrize(
    "command, option, names",
    [
        ("explain", "--activation", list(ACTIVATIONS)),
        ("explain", "--output-activation", list(ACTIVATIONS)),
        ("gradcheck", "--loss", list(LOSSES)),
        ("gradcheck", "--bias", BIAS_MODES),
        ("train", "--task", ["auto", *TASKS]),
        ("train", "--activation", list(ACTIVATIONS)),
        ("train", "--optimizer", OPTIMIZER_NAMES),
        ("train", "--schedule", SCHEDULES),
        ("train", "--dtype", DTYPES),
    ],
)
def test_the_choices_are_the_registries_names(capsys, command, option, names):
    parser = build_parser()
    for name in names:
        assert getattr(parser.parse_args([command, option, name]), option[2:].replace("-", "_")) == name
    with pytest.raises(SystemExit):
        parser.parse_args([command, option, "nonsense"])
    offered = re.findall(r"'([^']+)'", capsys.readouterr().err.split("choose from")[1].split(")")[0])
    assert sorted(offered) == sorted(names)


def test_train_help_names_every_dataset(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert f"a CSV file or one of: {', '.join(DATASETS)}" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    "args", [["explain", "--json"], ["demo", "--iterations", "10000", "--json"], ["demo"]]
)
def test_a_reader_that_goes_away_ends_the_command_quietly(args):
    """`glassnet ... | head -1`: no BrokenPipeError traceback, the status a SIGPIPE'd tool has."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.readline()
    proc.stdout.close()
    with proc.stderr:
        stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) in (0, 141)  # 0 where the output fitted in the pipe before it closed
    assert stderr == ""


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_option_and_argument_has_a_help_text_with_its_default(command):
    """Read from `glassnet COMMAND --help` and from what a command line parses to (its defaults)."""
    argv = [] if command is None else [command]
    entries = help_entries(argv)
    assert "-h, --help" in entries
    for invocation, text in entries.items():
        assert text, f"glassnet {command} {invocation} has no help"
    if command is None:
        return
    given = [command, *REQUIRED.get(command, [])]
    values = parsed(given)
    for invocation, text in entries.items():
        name = dest(invocation)
        if invocation.startswith("-"):  # "-o OUT, --out OUT": given if any of its spellings is
            was_given = bool(set(re.findall(r"(?:^|, )(-[\w-]+)", invocation)) & set(given))
        else:
            was_given = str(values.get(name)) in given
        if name in values and values[name] not in (None, False) and not was_given:
            assert "default" in text, f"glassnet {command} {invocation} does not say its default"
    for name in set(values) - {dest(invocation) for invocation in entries} - {"command"}:
        option = "--" + name.replace("_", "-")  # a value no help lists must not be an option: a hidden one
        assert not accepts([*given, option]) and not accepts([*given, option, "1"]), f"{command} {option}"


def test_version_is_the_packages():
    from importlib.metadata import version

    status, out, err = run("--version")
    assert status == 0 and out.strip() == f"glassnet {version('glassnet')}" and err == ""
