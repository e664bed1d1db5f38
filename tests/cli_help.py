"""The command line as a user meets it, for tests: each command's arguments and options as its ``--help``
lists them, and the values that parsing a command line gives. No argparse internals."""

import contextlib
import io
import re

from glassnet.cli import build_parser

# What each command cannot go without (it parses; nothing is run or opened).
REQUIRED = {
    "writeup": ["-o", "step.html"],
    "evaluate": ["model.safetensors", "moons"],
    "predict": ["model.safetensors", "moons"],
    "export": ["model.safetensors", "--onnx", "model.onnx"],
    "explore": ["--no-browser"],
}


def help_text(argv: list[str]) -> str:
    """What ``glassnet *argv --help`` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        build_parser().parse_args([*argv, "--help"])
    return out.getvalue()


def help_entries(argv: list[str]) -> dict[str, str]:
    """Each argument and option of ``glassnet *argv --help`` (as it is written there: "--lr LR",
    "-h, --help", "data") -> its help, the wrapped lines joined."""
    entries: dict[str, str] = {}
    last, in_section = "", False
    for line in help_text(argv).splitlines():
        if line and not line.startswith(" "):  # "usage: ...", a description, or a section's title
            in_section = line.endswith(":") and not line.startswith("usage:")
            continue
        if not in_section or not line.strip():
            continue
        if re.match(r"  \S", line):  # an entry: its invocation, then two spaces or more, then its help
            last, _, text = line.strip().partition("  ")
            entries[last] = text.strip()
        else:
            entries[last] = f"{entries[last]} {line.strip()}".strip()
    return entries


def dest(invocation: str) -> str:
    """The name parsing gives an option's value: "--batch-size BATCH_SIZE" -> "batch_size"."""
    long_names = re.findall(r"--[\w-]+", invocation)
    return long_names[0][2:].replace("-", "_") if long_names else invocation.split()[0]


def parsed(argv: list[str]) -> dict[str, object]:
    """The values ``glassnet *argv`` parses to, the defaults of what it leaves out included."""
    return vars(build_parser().parse_args(argv))


def accepts(argv: list[str]) -> bool:
    """Whether ``glassnet *argv`` parses (a mistake prints one error line; it is swallowed here)."""
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            build_parser().parse_args(argv)
        except SystemExit:
            return False
    return True
