"""Collection rules for the whole tree: what needs an extra that is not installed is not collected.

``bash scripts/test --oldest`` installs the core dependencies alone. There, the modules below cannot be
imported, so they are left out (single tests that need an extra skip themselves with importorskip). In the
full environments a test checks that every extra is installed, so nothing is left out there unseen.
"""

from importlib.util import find_spec

NEEDS = {
    "src/glassnet/web/app.py": "fastapi",
    "src/glassnet/web/security.py": "fastapi",
    "src/glassnet/sklearn.py": "sklearn",
    "src/glassnet/io/onnx_export.py": "onnx",
    "tests/test_sklearn.py": "sklearn",
    "tests/test_web_api.py": "fastapi",
    "tests/test_web_browser.py": "fastapi",
    "tests/test_web_charts.py": "fastapi",
    "tests/test_web_overlap.py": "fastapi",
    "tests/test_web_review.py": "fastapi",
    "tests/test_web_timeline.py": "fastapi",
    "tests/test_web_training.py": "fastapi",
    "tests/test_web_fuzz.py": "schemathesis",
    "tests/test_writeup_browser.py": "playwright",
    "tests/test_writeup_pdf.py": "playwright",
}

collect_ignore = [path for path, module in NEEDS.items() if find_spec(module) is None]
# The old import paths (glassnet.interfaces.*) warn when imported: tests/test_structure.py imports them.
collect_ignore.append("src/glassnet/interfaces")
