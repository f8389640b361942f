"""Signals: Ctrl-C, kill and a hang-up stop a command only before its output is in place.

The CLI wraps every command in ``interruption_guard``; rendering runs under ``signals_deferred``
(reportlab swallows exceptions in places); the few system calls that put an output in place run
under ``held`` and end with ``commit``, after which a signal no longer stops the command.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


class Interrupted(BaseException):
    """Raised by a signal (Ctrl-C, kill) before the output was in place; nothing was changed."""

    def __init__(self, signum: int | str) -> None:
        super().__init__(signum)
        # reportlab re-raises an exception from inside a layout as type(err)(its message), so
        # the number can come back as text: the guard that raised it knows the signal.
        if not isinstance(signum, int):
            signum = _guard.received if _guard is not None and _guard.received else signal.SIGTERM
        self.signum = int(signum)


# -- signals ---------------------------------------------------------------------------------


class _Guard:
    """Turns SIGINT/SIGTERM/SIGHUP into ``Interrupted`` until the output is in place; after
    that, a signal no longer stops the run: the output is complete, and the exit says so."""

    def __init__(self) -> None:
        self.committed = False
        self.received: int | None = None
        self.deferring = False

    def handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.received is None
        if first:
            self.received = signum
        if first and not self.committed and not self.deferring:
            raise Interrupted(signum)


_guard: _Guard | None = None


@contextlib.contextmanager
def interruption_guard(*, whole_process: bool = False) -> Iterator[_Guard]:
    """Catch signals for the length of one command (the CLI wraps every command in this).

    ``whole_process``: taper owns the process, which ends with the command; once an output
    is in place, signals stay ignored to the very end, so the exit status tells the truth.
    """
    global _guard
    if threading.current_thread() is not threading.main_thread() or _guard is not None:
        yield _guard or _Guard()
        return
    guard = _Guard()
    previous = {sig: signal.signal(sig, guard.handle) for sig in _SIGNALS}
    _guard = guard
    try:
        yield guard
    finally:
        with held():
            _guard = None
            for sig, handler in previous.items():
                signal.signal(sig, signal.SIG_IGN if whole_process and guard.committed else handler)
            # A signal held back while the output went into place belonged to this command,
            # which has finished: drop it rather than let it reach the restored handler.
            if guard.committed and hasattr(signal, "sigtimedwait"):
                while signal.sigtimedwait(_SIGNALS, 0) is not None:
                    pass


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Act on a signal only once the block ends: for rendering. reportlab's layout catches
    every exception in places (bare ``except:``) and goes on another way, so ``Interrupted``
    raised inside it could be swallowed and leave a different page that is then written as
    if nothing had happened. A signal during the block stops the command when it ends, before
    anything is written."""
    guard = _guard
    if (
        guard is None
        or guard.deferring
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    guard.deferring = True
    try:
        yield
    finally:
        guard.deferring = False
    if guard.received is not None and not guard.committed:
        raise Interrupted(guard.received)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Hold signals back for a few system calls that must not be cut in half."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def begin() -> None:
    """Another output of the command begins (the next packet a print run builds in this
    process): a signal that came once the last output was in place stops the command now,
    before anything more is written; from here a signal stops it again until this output is
    in place."""
    if _guard is None:
        return
    if _guard.received is not None:
        raise Interrupted(_guard.received)
    _guard.committed = False


def commit() -> None:
    if _guard is not None:
        _guard.committed = True
