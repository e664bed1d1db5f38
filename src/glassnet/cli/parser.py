"""Every command's options, and the argparse types that check them.

The options glassnet's interfaces share take their type, range, choices and help from the core's table
(``glassnet.core.options``: ``option_type`` and ``choices``); the datasets come from their registry. A usage
mistake is one ``error:`` line and exit status 2. Every command that
computes takes ``--threads N`` (``add_threads_option``); ``main`` holds NumPy's BLAS to N threads while the
command runs.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from glassnet.core.errors import GlassnetError
from glassnet.core.options import OPTIONS

from ..io.data import DATASETS
from .reading import separator

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one ``error:`` line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parsed(convert: Callable[[str], Any], ok: Callable[[Any], bool], expected: str) -> Callable[[str], Any]:
    """An argparse ``type``: ``convert`` the text, check it with ``ok``, or say what was expected."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}; received: {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}; received: {text!r}")
        return value

    return parse


def option_type(name: str) -> Callable[[str], Any]:
    """The argparse ``type`` of the option ``name`` of the core's table: the text read and checked there,
    or "expected <what the table says>; received: '<text>'"."""
    option = OPTIONS[name]

    def parse(text: str) -> Any:
        try:
            return option.parse(text)
        except GlassnetError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def choices(name: str) -> list[str]:
    """The names the option ``name`` allows, from the registry the core's table reads."""
    return list(OPTIONS[name].choices)


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",")]


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",")]


_UNITS = OPTIONS["units"]
_layers = _parsed(
    _ints,
    lambda v: len(v) >= 2 and all(map(_UNITS.accepts, v)),
    f"at least two comma-separated integers from 1 to {_UNITS.high}, e.g. 3,4,2",
)
_hidden_layers = _parsed(
    _ints,
    lambda v: all(map(_UNITS.accepts, v)),
    f"comma-separated integers from 1 to {_UNITS.high}, e.g. 256,128",
)


def _hidden_or_none(text: str) -> list[int]:
    """Hidden layer sizes, or none of them ('none': logistic or linear regression; an empty text, as an
    unset shell variable gives, is a mistake, not a request for no hidden layer)."""
    if text.strip().lower() == "none":
        return []
    return _hidden_layers(text)


def _class_weight(text: str) -> str | dict[str, float]:
    """'balanced', or label=weight pairs separated by commas."""
    if text == "balanced":
        return text
    table: dict[str, float] = {}
    for part in text.split(","):
        label, sep, value = part.rpartition("=")
        try:
            weight = float(value)
        except ValueError:
            weight = math.nan
        if not sep or not label or not OPTIONS["weight"].accepts(weight):
            raise argparse.ArgumentTypeError(
                f"expected 'balanced' or label=weight pairs with weights {OPTIONS['weight'].expected}, e.g. "
                f"'a=2,b=1'; received: {text!r}"
            )
        table[label] = weight
    return table


# The command line's own values (not options of the core's table): numbers given by hand, counts, a port.
_numbers = _parsed(_floats, lambda v: all(math.isfinite(x) for x in v), "comma-separated finite numbers")
_count = _parsed(int, lambda v: v >= 1, "an integer >= 1")
_port = _parsed(int, lambda v: 1 <= v <= 65535, "a port number 1-65535")


def _version() -> str:
    """The installed package's version (the source tree's when run from a checkout)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("glassnet")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree that is not installed
        from glassnet import __version__

        return __version__


#: The network options and their defaults; ``writeup`` leaves them unset (None) to tell when none was given.
NETWORK_DEFAULTS = {
    "layers": [2, 2, 2],
    "activation": "sigmoid",
    "output_activation": None,
    "loss": "half_sse",
    "bias": "per_neuron",
    "freeze_biases": False,
}


def add_network_options(p: argparse.ArgumentParser, layers: str, unset: bool = False) -> None:
    """The options that describe a network; with ``unset`` they default to None (see NETWORK_DEFAULTS)."""

    def default(value: object) -> object:
        return None if unset else value

    p.add_argument(
        "--layers",
        type=_layers,
        default=default(_layers(layers)),
        help=f"sizes, inputs first (default {layers})",
    )
    p.add_argument(
        "--activation",
        choices=choices("activation"),
        default=default("sigmoid"),
        help=OPTIONS["activation"].described("sigmoid"),
    )
    p.add_argument(
        "--output-activation",
        choices=choices("activation"),
        default=None,
        help="output activation (default: softmax or sigmoid to suit --loss, else the hidden one)",
    )
    p.add_argument(
        "--loss",
        choices=choices("loss"),
        default=default("half_sse"),
        help=OPTIONS["loss"].described("half_sse"),
    )
    p.add_argument(
        "--bias",
        choices=choices("bias"),
        default=default("per_neuron"),
        help=OPTIONS["bias"].described("per_neuron"),
    )
    p.add_argument("--freeze-biases", action="store_true", help="do not update the biases")
    _add_seed_option(p)


def _add_seed_option(p: argparse.ArgumentParser) -> None:
    seed = OPTIONS["seed"]
    p.add_argument(
        "--seed",
        type=option_type("seed"),
        default=seed.default,
        help=f"{seed.help}, {seed.expected} (default 0)",
    )


def add_threads_option(p: argparse.ArgumentParser) -> None:
    """``--threads N``: the most threads NumPy's BLAS may use while the command runs (None: as it is)."""
    p.add_argument(
        "--threads",
        type=option_type("threads"),
        default=None,
        metavar="N",
        help="use at most N threads for NumPy's matrix products (BLAS); on a busy or shared machine "
        "--threads 1 is often faster (default: as NumPy's BLAS is set, one thread per core)",
    )


def _add_csv_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sep", type=separator, default=None, help="field separator, e.g. ';' or tab (default: detected)"
    )
    p.add_argument("--decimal", choices=[".", ","], default=None, help="decimal mark (default: detected)")


def _add_saved_row_options(p: argparse.ArgumentParser, verb: str) -> None:
    """--model, --data and --row (with --top, --sep, --decimal): one CSV row through a saved model."""
    saved = p.add_argument_group(f"{verb} one row through a saved model (--model, --data and --row together)")
    saved.add_argument("--model", default=None, help="a model file saved by 'glassnet train --save'")
    saved.add_argument("--data", default=None, metavar="FILE", help="a CSV file with the model's columns")
    saved.add_argument(
        "--row",
        type=_count,
        default=None,
        metavar="N",
        help="the row to explain, counted as data rows from 1: row 1 is the first row after the header "
        "(blank lines are not counted)",
    )
    saved.add_argument(
        "--top",
        type=_count,
        default=None,
        metavar="K",
        help="list the K largest contributions and gradients, the rest as a count and a sum (default 10)",
    )
    saved.add_argument(
        "--sep", type=separator, default=None, help="field separator, e.g. ';' or tab (default: detected)"
    )
    saved.add_argument("--decimal", choices=[".", ","], default=None, help="decimal mark (default: detected)")


def build_parser() -> argparse.ArgumentParser:
    """The ``glassnet`` parser; ``args.command`` names the command given."""
    parser = _Parser(
        prog="glassnet", description="A glass-box neural network: see every number of every step."
    )
    parser.add_argument("--version", action="version", version=f"glassnet {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="the worked example, step by step, then trained to convergence")
    demo.add_argument("--json", action="store_true", help="print the first step's full trace as JSON")
    demo.add_argument("--iterations", type=_count, default=None, help="make exactly N updates")
    demo.add_argument("--update-biases", action="store_true", help="update the shared biases b1 and b2 too")
    demo.add_argument(
        "--loss-tol", type=option_type("loss_tol"), default=1e-5, help=OPTIONS["loss_tol"].described(1e-5)
    )
    demo.add_argument(
        "--weight-tol",
        type=option_type("weight_tol"),
        default=1e-9,
        help=OPTIONS["weight_tol"].described(1e-9),
    )
    demo.add_argument(
        "--max-updates", type=_count, default=1_000_000, help="give up after N updates (default 1000000)"
    )
    add_threads_option(demo)

    explain = sub.add_parser(
        "explain",
        help="one training step of any small network, explained; with --model, one row of a CSV file "
        "through a saved model, in numbers",
    )
    add_network_options(explain, "2,2,2")
    explain.add_argument(
        "--input", type=_numbers, default=None, help="comma-separated input values (default: random)"
    )
    explain.add_argument(
        "--target", type=_numbers, default=None, help="comma-separated target values (default: random)"
    )
    explain.add_argument(
        "--lr",
        type=option_type("lr"),
        default=None,
        help="learning rate (default 0.5; with --model: the model's training lr, else 0.01)",
    )
    form = explain.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true", help="print the step as Markdown")
    form.add_argument(
        "--json",
        action="store_true",
        help="print the step (with --model: the row's explanation) as JSON, every number in full",
    )
    _add_saved_row_options(explain, "explain")
    add_threads_option(explain)
    network_options = ("layers", "activation", "output_activation", "loss", "bias", "freeze_biases", "seed")
    explain.set_defaults(  # None marks an option not given: --model refuses the ones that build a network
        network_defaults={name: explain.get_default(name) for name in network_options},
        **dict.fromkeys(network_options),
    )

    write = sub.add_parser(
        "writeup",
        help="one training step as a document (HTML with MathML, or PDF); exercises with answer keys",
        description="With no network option: the classic worked example. With --exercise: blanks for a "
        "student and a separate answer key; with --students N: N variants, each with its own numbers.",
    )
    write.add_argument(
        "-o", "--output", required=True, help="the document to write: a file name ending in .html or .pdf"
    )
    add_network_options(write, "2,2,2", unset=True)
    write.add_argument(
        "--input", type=_numbers, default=None, help="comma-separated input values (default: random)"
    )
    write.add_argument(
        "--target", type=_numbers, default=None, help="comma-separated target values (default: random)"
    )
    write.add_argument("--lr", type=option_type("lr"), default=None, help=OPTIONS["lr"].described(0.5))
    write.add_argument(
        "--paper", choices=["a4", "letter"], default="a4", help="the PDF's paper size (default a4)"
    )
    write.add_argument(
        "--exercise",
        action="store_true",
        help="blank the values a student computes, and write FILE-key with the answers",
    )
    write.add_argument(
        "--blank",
        type=lambda text: [part for part in text.split(",") if part.strip()],
        default=None,
        help="what to blank, comma-separated: forward, outputs, error, deltas, gradients, updates, after, "
        "or one quantity such as dE/dw5 or w5+; whatever is computed from a blank is blanked too "
        "(default: outputs, and so the error, the backward pass and the updates); implies --exercise",
    )
    _add_saved_row_options(write, "write")
    write.add_argument(
        "--students",
        type=_count,
        default=None,
        help="write N exercise variants FILE-1 ... FILE-N, each with its own inputs, targets and starting "
        "weights, and one answer key for each (default: none); implies --exercise",
    )
    add_threads_option(write)

    grad = sub.add_parser("gradcheck", help="backpropagation against central differences, every parameter")
    add_network_options(grad, "3,4,2")
    grad.add_argument("--batch", type=_count, default=4, help="examples in the checked batch (default 4)")
    add_threads_option(grad)

    train = sub.add_parser("train", help="train a model on a CSV file or a named dataset")
    train.add_argument("data", nargs="?", help=f"a CSV file or one of: {', '.join(DATASETS)}")
    train.add_argument("--target", default=None, help="the target column of a CSV file (default: the last)")
    train.add_argument(
        "--test", default=None, help="a test CSV with the same columns, scored after training (default: none)"
    )
    train.add_argument(  # auto: load_dataset decides
        "--task",
        choices=["auto", *choices("task")],
        default="auto",
        help="what to predict; auto: classes for text or few integer values, else numbers (default auto)",
    )
    train.add_argument(
        "--layers",
        type=_hidden_or_none,
        default=[64],
        help="hidden layer sizes, e.g. 256,128; 'none' for no hidden layer (logistic/linear regression) "
        "(default 64)",
    )
    for name, default in (("activation", "relu"), ("optimizer", "adam")):
        train.add_argument(
            f"--{name}", choices=choices(name), default=default, help=OPTIONS[name].described(default)
        )
    train.add_argument(
        "--lr", type=option_type("lr"), default=None, help="learning rate (default 1e-3 for adam, else 0.01)"
    )
    # the command line's defaults: 32 examples a batch (train's is 128), 50 epochs (train's is 20)
    numbers: tuple[tuple[str, float], ...] = (
        ("batch_size", 32),
        ("epochs", 50),
        ("dropout", 0.0),
        ("weight_decay", 0.0),
    )
    for key, value in numbers:
        train.add_argument(
            f"--{key.replace('_', '-')}",
            type=option_type(key),
            default=value,
            help=OPTIONS[key].described(value),
        )
    train.add_argument(
        "--schedule", choices=choices("schedule"), default="constant", help=OPTIONS["schedule"].described()
    )
    train.add_argument(
        "--validation-split",
        type=option_type("validation_split"),
        default=OPTIONS["validation_split"].default,
        help="share of the training data held out to validate each epoch; 0 for none (default 0.1)",
    )
    train.add_argument(
        "--patience",
        type=option_type("patience"),
        default=None,
        help="stop when --monitor (the validation loss by default; the training loss with --validation-split "
        "0) has not improved for N epochs; with validation, the best epoch's weights are kept "
        "(default: never stop early)",
    )
    train.add_argument(
        "--monitor",
        choices=choices("monitor"),
        default="val_loss",
        help="what --patience watches: val_loss, or val_accuracy for classification (default val_loss)",
    )
    train.add_argument(
        "--init",
        choices=choices("init"),
        default="glorot",
        help="first weights: glorot (scikit-learn MLP's: weights and biases uniform in "
        "+-sqrt(6/(inputs+units))), auto (he for relu/leaky_relu, xavier for sigmoid/tanh; biases 0), "
        "he, xavier or uniform (default glorot)",
    )
    train.add_argument(
        "--class-weight",
        type=_class_weight,
        default=None,
        metavar="WEIGHTS",
        help="weigh the classes in the loss: 'balanced' (n / (classes * count)) or e.g. 'a=2,b=1' "
        "(default: every class weighs 1)",
    )
    train.add_argument(
        "--dtype", choices=choices("dtype"), default="float32", help=OPTIONS["dtype"].described("float32")
    )
    _add_seed_option(train)
    train.add_argument(
        "--save", default=None, metavar="MODEL", help="save the model (.safetensors) (default: not saved)"
    )
    train.add_argument(
        "--plot", default=None, metavar="FILE", help="save training plots: .png, .pdf or .svg (default: none)"
    )
    train.add_argument("--json", action="store_true", help="print one JSON object at the end")
    train.add_argument(
        "--checkpoint", default=None, metavar="DIR", help="save a checkpoint in DIR every epoch and on Ctrl-C"
    )
    train.add_argument("--resume", default=None, metavar="DIR", help="continue the run checkpointed in DIR")
    _add_csv_options(train)
    train.add_argument("--id", default=None, metavar="COLUMN", help="a column that is not a feature")
    train.add_argument(
        "--sample-weight",
        default=None,
        metavar="COLUMN",
        help="a numeric column holding each row's weight in the training loss, not a feature "
        "(default: every row weighs 1)",
    )
    train.add_argument(
        "--init-from",
        default=None,
        metavar="MODEL",
        help="start from a saved model's weights and standardization (same features, classes and layers; "
        "--layers defaults to the model's) (default: new random weights)",
    )
    add_threads_option(train)

    evaluate = sub.add_parser("evaluate", help="score a saved model on labelled data")
    evaluate.add_argument("model", help="a model file saved by 'glassnet train --save'")
    evaluate.add_argument("data", help="a labelled CSV file, or the named dataset the model was trained on")
    evaluate.add_argument("--target", default=None, help="the target column (default: the model's)")
    evaluate.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    _add_csv_options(evaluate)
    add_threads_option(evaluate)

    predict = sub.add_parser("predict", help="predictions of a saved model as CSV on stdout")
    predict.add_argument("model", help="a model file saved by 'glassnet train --save'")
    predict.add_argument("data", help="a CSV file with the model's feature columns")
    predict.add_argument(
        "--proba", action="store_true", help="add the class probabilities, one p_<class> column per class"
    )
    _add_csv_options(predict)
    predict.add_argument("--id", default=None, metavar="COLUMN", help="a column to copy as the first column")
    predict.add_argument("--output", default=None, metavar="FILE", help="write the CSV to FILE, not stdout")
    add_threads_option(predict)

    export = sub.add_parser("export", help="export a saved model to ONNX")
    export.add_argument("model", help="a model file saved by 'glassnet train --save'")
    export.add_argument("--onnx", required=True, metavar="OUT.onnx", help="where to write the ONNX file")

    explore = sub.add_parser("explore", help="a local web page to step through training")
    explore.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    explore.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
    explore.add_argument("--no-browser", action="store_true", help="do not open a browser")
    add_threads_option(explore)  # for as long as the server runs: every session's training and drawing
    return parser
