"""Running the app: 127.0.0.1 only, a free port, a fresh token, a clean stop on a signal.

The browser is opened on a private file holding a one-time code, never on the lasting token
(taper.web.session); connections are bounded in time and number (taper.web.limits)."""

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

from taper.read.errors import TaperError
from taper.web.app import create_app
from taper.web.limits import GuardedHandler, GuardedServer
from taper.web.session import Launch, opener_file, remove_opener
from taper.web.workers import Renderer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

HOST = "127.0.0.1"


# The handler of every connection: no access log (request lines would carry the token), and
# reads bounded in time (taper.web.limits). The old name is kept for the tests that use it.
_QuietHandler = GuardedHandler


def _unset(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    raise RuntimeError("the app is set once the port is known")  # pragma: no cover


def _renderer() -> Renderer:
    """The packets' renderer: worker processes forked from this one, warmed (before the
    server's threads start), one per core; in this process where fork is not available."""
    import multiprocessing

    from taper.files.signals import Interrupted, signals_deferred
    from taper.web.workers import InProcess, Pool

    if sys.platform == "darwin" or "fork" not in multiprocessing.get_all_start_methods():
        return InProcess()
    # Ctrl-C while the workers are forked is acted on once they have all started, and ends
    # them: raised during a fork, inside an at-fork hook, Python would print and drop it, and
    # the server would start as if it had not been pressed.
    pool = None
    try:
        with signals_deferred():
            pool = Pool()
    except Interrupted:
        if pool is not None:
            pool.close()
        raise
    return pool


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
        server = GuardedServer(
            HOST, listener.getsockname()[1], _unset, handler=GuardedHandler, fd=listener.fileno()
        )
    actual = server.port
    renderer = _renderer()
    # From here the workers are ended however the server stops, a signal while it starts
    # included (``taper`` leaves with ``os._exit``, which would not end them).
    opener = None
    try:
        server.app = create_app(token=token, port=actual, renderer=renderer)
        launch: Launch = server.app.extensions["taper_launch"]

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
            # Not the address above: a browser's command line is readable by every local user.
            opener = opener_file(f"http://{HOST}:{actual}/?code={launch.new_code()}")
            threading.Thread(target=webbrowser.open, args=(opener.as_uri(),), daemon=True).start()
        server.serve_forever()
    finally:
        server.server_close()
        # The connections first (a request waiting on a worker is answered 503 when its
        # worker ends), then the workers.
        renderer.close()
        if opener is not None:
            remove_opener(opener)
    print("taper serve stopped", file=sys.stderr, flush=True)
