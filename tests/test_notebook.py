"""The notebook view and the example notebook, executed end to end."""

import re
from pathlib import Path

import pytest

from glassnet.core.examples import worked_example
from glassnet.core.network import Network
from glassnet.explain.notebook import network_svg, register, trace_html

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "worked_example.ipynb"


def test_network_svg_labels_every_neuron_and_weight():
    net, _, _, _ = worked_example()
    svg = network_svg(net)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for name in ("i1", "i2", "h1", "h2", "o1", "o2"):
        assert f">{name}</text>" in svg
    for name, value in (("w1", "0.15"), ("w5", "0.4"), ("w8", "0.55"), ("b1", "0.35"), ("b2", "0.6")):
        assert f"{name}={value}" in svg
    assert len(re.findall(r"<line ", svg)) == 8


def test_edge_colour_and_width_follow_the_weight():
    net = Network([1, 2], activation="identity", bias="none")
    net.set_parameters({"w1": 2.0, "w2": -0.5})
    svg = network_svg(net)
    blue, red = re.findall(r'stroke="(#[0-9a-f]+)" stroke-width="([\d.]+)"', svg)
    assert blue[0] == "#2b6cb0" and red[0] == "#c53030" and float(blue[1]) > float(red[1])


def test_trace_html_has_the_seven_steps_in_tables():
    net, x, t, lr = worked_example()
    page = trace_html(net.traced_step(x, t, lr))
    assert page.count("<table>") == 7 and "Step 7. Repeat" in page
    assert (
        "<td><code>dE/dw5</code></td><td><code>dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5</code></td>" in page
    )
    assert "<td><code>0.74136507 * 0.186815602 * 0.593269992</code></td><td><code>0.082167041</code>" in page


def test_registers_with_ipython():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    assert register(shell)
    net, x, t, lr = worked_example()
    data, _ = shell.display_formatter.format(net)
    assert data["image/svg+xml"].startswith("<svg")
    data, _ = shell.display_formatter.format(net.traced_step(x, t, lr))
    assert "glassnet-trace" in data["text/html"]


def test_example_notebook_runs_end_to_end():
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)
    assert any("glassnet-trace" in o.get("data", {}).get("text/html", "") for o in outputs)
    writeups = [
        o["data"]["text/html"] for o in outputs if "<iframe srcdoc=" in o.get("data", {}).get("text/html", "")
    ]
    assert len(writeups) == 1 and "0.082167041" in writeups[0] and "&lt;math" in writeups[0]
    text = "".join(o.get("text", "") for o in outputs)
    assert "dE/dw5 = 0.741365070 * 0.186815602 * 0.593269992 = 0.082167041" in text
    assert "test accuracy" in text
