"""The server under attack: half-sent requests (slowloris) cannot lock the nurse out.

Any local process can connect to 127.0.0.1 without the token and send ``GET / HTTP/1.1``, a
Host line, then nothing (or a byte every few seconds). Each such connection holds a thread and a
descriptor; past the file limit the page stops answering. So:

- every read waits at most ``IDLE_SECONDS`` for the next bytes, and a whole request (line,
  headers and body) must arrive within ``REQUEST_SECONDS`` of its first wait;
- at most ``MAX_CONNECTIONS`` are open: a new one first pushes out the connection that has waited
  longest for its request (a slow sender), and is refused only when every open connection is
  being answered;
- a connection pushed out or timed out frees its thread and descriptor at once, and the page
  answers the next request.
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

IDLE_SECONDS = 10.0  # the longest wait for the next bytes of a request
REQUEST_SECONDS = 30.0  # the longest a whole request may take to arrive
MAX_CONNECTIONS = 32


class _DeadlineReader(io.RawIOBase):
    """The connection's bytes, each read bounded by the idle time and the request's deadline."""

    def __init__(self, handler: GuardedHandler) -> None:
        super().__init__()
        self._handler = handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        handler = self._handler
        left = handler.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        connection = handler.connection
        connection.settimeout(min(handler.idle_seconds, left))
        try:
            received: int = connection.recv_into(buffer)
        finally:
            # Writing the answer (a packet can take seconds to render) has the full idle time.
            with contextlib.suppress(OSError):
                connection.settimeout(handler.idle_seconds)
        return received


class GuardedHandler(WSGIRequestHandler):
    """A request handler whose reads are bounded in time (see the module's note)."""

    idle_seconds = IDLE_SECONDS
    request_seconds = REQUEST_SECONDS

    def setup(self) -> None:
        super().setup()
        self.deadline = time.monotonic() + self.request_seconds
        self.waiting_since: float | None = time.monotonic()  # until its first request is in
        self.rfile = io.BufferedReader(_DeadlineReader(self), 65536)
        if isinstance(self.server, GuardedServer):  # the cap is the server's; any server works
            self.server.register(self)

    def handle_one_request(self) -> None:
        # Each request on a kept-alive connection has its own deadline, from its first wait.
        self.deadline = time.monotonic() + self.request_seconds
        self.waiting_since = time.monotonic()
        super().handle_one_request()

    def run_wsgi(self) -> None:
        # The request line and headers are in: it is being answered, not pushed out (its body
        # still has to arrive by the deadline).
        self.waiting_since = None
        super().run_wsgi()

    def finish(self) -> None:
        if isinstance(self.server, GuardedServer):
            self.server.unregister(self)
        with contextlib.suppress(OSError):  # pushed out: nothing left to flush to
            super().finish()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # no access log: request lines can carry the token

    def log_error(self, format: str, *args: Any) -> None:
        if "timed out" in format or "did not arrive" in str(args):
            return  # a slow or half-sent request, closed as designed
        super().log_error(format, *args)


class GuardedServer(ThreadedWSGIServer):
    """A threaded WSGI server with a cap on open connections (see the module's note)."""

    max_connections = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before werkzeug's __init__, which calls server_close when given a descriptor.
        self._open: set[GuardedHandler] = set()
        self._slots = 0  # connections accepted, handler not yet finished
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def register(self, handler: GuardedHandler) -> None:
        with self._lock:
            self._open.add(handler)

    def unregister(self, handler: GuardedHandler) -> None:
        with self._lock:
            self._open.discard(handler)

    def open_connections(self) -> int:
        with self._lock:
            return self._slots

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            if self._slots >= self.max_connections and not self._push_out_slowest():
                refused = True
            else:
                refused = False
                self._slots += 1
        if refused:
            self.shutdown_request(request)  # every connection is being answered: try later
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._slots -= 1

    def _push_out_slowest(self) -> bool:
        """Close the connection that has waited longest for its request (lock held)."""
        waiting = [h for h in self._open if h.waiting_since is not None]
        if not waiting:
            return False
        slowest = min(waiting, key=lambda h: h.waiting_since or 0.0)
        self._open.discard(slowest)
        slowest.waiting_since = None
        with contextlib.suppress(OSError):  # its read returns at once; its thread ends
            slowest.connection.shutdown(socket.SHUT_RDWR)
        return True

    def server_close(self) -> None:
        with self._lock:
            for handler in self._open:
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
        super().server_close()
