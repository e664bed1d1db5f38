"""``glassnet explore``: the explorer's web page on a local port."""

from __future__ import annotations

import argparse

from glassnet.core.errors import GlassnetError


def cmd_explore(args: argparse.Namespace) -> int:
    """Serve the explorer until Ctrl-C, after making sure the port is free."""
    try:
        import uvicorn

        from ..web.app import create_app
    except ImportError:
        raise GlassnetError("the explorer needs FastAPI and uvicorn: pip install 'glassnet[web]'") from None
    import socket

    if not args.host.strip():
        raise GlassnetError(
            "--host needs an address to listen on, e.g. 127.0.0.1 (this machine) or 0.0.0.0 (every interface)"
        )
    try:  # uvicorn exits on its own when it cannot listen; find out first, and say so in one line
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((args.host, args.port))
    except OSError as exc:
        raise GlassnetError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    url = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    print(f"glassnet explorer on {url} (Ctrl-C to stop)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: listening on {args.host}, so other machines can reach it; the default is 127.0.0.1")
    if not args.no_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    every = args.host in ("0.0.0.0", "::")  # any interface: the user chose to be reached by any name
    app = create_app(["*"] if every else [args.host])
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
