"""``glassnet explore``: the explorer's page on a local port, through the entry point."""

import socket
import sys

import pytest

from glassnet.cli import main


@pytest.mark.needs("fastapi", "uvicorn")
def test_explore_on_a_busy_port_is_one_error_line(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["explore", "--port", str(port), "--no-browser"]) == 2
    assert capsys.readouterr().err.startswith(f"error: cannot listen on 127.0.0.1:{port}")


@pytest.mark.needs("fastapi", "uvicorn")
def test_explore_with_an_empty_host_is_one_error_line(capsys):
    assert main(["explore", "--host", "", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --host needs an address") and err.count("\n") == 1


@pytest.mark.needs("fastapi", "uvicorn")
def test_explore_prints_its_url_and_serves_the_page():
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "glassnet", "explore", "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert (
            proc.stdout.readline().strip()
            == f"glassnet explorer on http://127.0.0.1:{port}/ (Ctrl-C to stop)"
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    assert page.status == 200 and b'data-testid="step"' in page.read()
                    break
            except OSError:
                import time

                time.sleep(0.1)
        else:
            pytest.fail("the explorer did not answer")
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
