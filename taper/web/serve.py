"""Running the app: 127.0.0.1 only, a free port, a fresh token, a clean stop on a signal."""

from __future__ import annotations

import gc
import secrets
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Iterable
from types import FrameType
from typing import TYPE_CHECKING, Any

from werkzeug.serving import WSGIRequestHandler, make_server

from taper.read.errors import TaperError
from taper.web.app import create_app
from taper.web.workers import Renderer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

HOST = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    """No access log: request lines would carry the token; errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _unset(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    raise RuntimeError("the app is set once the port is known")  # pragma: no cover


def _renderer() -> Renderer:
    """The packets' renderer: worker processes forked from this one, warmed (before the
    server's threads start), one per core; in this process where fork is not available."""
    import multiprocessing

    from taper.web.workers import InProcess, Pool

    if sys.platform == "darwin" or "fork" not in multiprocessing.get_all_start_methods():
        return InProcess()
    return Pool()


def run(*, port: int = 0, open_browser: bool = True) -> None:
    """Serve until Ctrl-C or SIGTERM; the first line on stdout is the address with the token."""
    # The taper program turns cycle collection off for its one short command; a server runs
    # for hours and renders many packets: collect as usual.
    gc.enable()
    token = secrets.token_urlsafe(24)
    # Bind first (port 0: the system picks a free one), then make the app for that port.
    # The socket is bound here, not by werkzeug, so that a busy port is a TaperError.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, port))
        listener.listen(64)
    except OSError as err:
        listener.close()
        raise TaperError(
            f"cannot listen on {HOST}:{port} ({err.strerror}); give another --port, or 0 for any"
        ) from err
    with listener:
        server = make_server(
            HOST,
            listener.getsockname()[1],
            _unset,
            threaded=True,
            request_handler=_QuietHandler,
            fd=listener.fileno(),
        )
    actual = server.port
    renderer = _renderer()
    server.app = create_app(token=token, port=actual, renderer=renderer)

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # The address is printed once a signal can stop the server cleanly.
    url = f"http://{HOST}:{actual}/?token={token}"
    print(url, flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
        renderer.close()
    print("taper serve stopped", file=sys.stderr, flush=True)
