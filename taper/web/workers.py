"""Rendering packets for the server: in worker processes forked from the warmed server.

A packet costs tens to hundreds of milliseconds of pure-Python work (reportlab, icalendar); in
the server's threads it would hold the interpreter's lock, so packets would render one at a
time on one core and every other request (the page's plan, as the nurse types) would wait
behind them. Here each packet is rendered by one of a few worker processes, one per core:

- forked from the server after the renderers are imported, so a worker starts warm and its
  first packet costs only its own work;
- each with a pipe of its own (as the print run's workers, ``taper.batch``): no lock is shared
  between processes, so a worker stopped at any moment can never leave another one waiting;
- a worker does the whole request's work (check, plan, render, zip) from the regimen's bytes,
  so the server's own threads only pass bytes and stay free for the page;
- a worker that dies (killed, crashed) or takes longer than ``TIMEOUT`` is ended and replaced,
  and its request is answered with an error (``WorkerStopped``), never left hanging;
- a worker is replaced after ``RECYCLE_AFTER`` packets, so the memory a long-running server
  holds does not creep up with what reportlab and icalendar cache.

``InProcess`` renders in the calling thread under one lock (reportlab keeps settings in module
globals): what the app does when no pool is given (Flask's test client, ``create_app`` alone).
Both run ``make``: the bytes are the same whichever renders them, and the same as ``taper
build``'s (both call ``taper.api.packet``).
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from taper.read.errors import TaperError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from taper.api import CheckResult

#: Seconds a worker may take over one request before it is ended (the longest course the
#: format allows, in large print, renders in a few seconds on a loaded machine).
TIMEOUT = 300.0
#: Packets a worker renders before a fresh one takes its place.
RECYCLE_AFTER = 500
#: Workers run at a lower priority than the server's threads: a nurse's edit comes first.
NICENESS = 5


@dataclass(frozen=True)
class Job:
    """One request's work: the regimen's bytes and how to make its packet (or one file)."""

    regimen: bytes
    source: str  # the regimen's name in messages and in the zip
    today: date  # the front end's clock, read by the server
    stamp: datetime
    paper: str
    large_print: bool
    what: str = "packet"  # "packet" (the zip with the regimen) or a file name of the packet
    # The patient's language over the regimen's (``?lang=``, as ``taper build --lang``): the
    # worker applies it to the plan it makes, so every option the request gave reaches it.
    language: str | None = None
    checked_by: str | None = None  # the pharmacist's name for the dispensing sheet's sign-off


@dataclass(frozen=True)
class Made:
    """What a job made: the bytes, or the check that says why the regimen makes none."""

    data: bytes | None
    check: CheckResult | None = None  # only when the regimen is not valid
    # The downloads' names start with it: the patient and the start date (taper.web.words).
    name_prefix: str = "taper_"


class WorkerStopped(TaperError):
    """The worker rendering a request stopped (killed, crashed or too slow)."""


class Renderer(Protocol):
    def render(self, job: Job) -> Made: ...

    def close(self) -> None: ...


def make(job: Job) -> Made:
    """Check the regimen and make its packet's bytes (``taper build``'s, through the API)."""
    from taper import api
    from taper.web.packet import zip_files
    from taper.web.words import download_name

    result = api.check(job.regimen, today=job.today, source=job.source)
    if result.plan is None:
        return Made(None, result)
    plan = result.plan if job.language is None else result.plan._replace(language=job.language)
    prefix = download_name(plan, "")
    # No ``previous``: the page and the API have no previous plan (``taper build --previous``).
    options = api.Options(
        job.stamp, paper=job.paper, large_print=job.large_print, checked_by=job.checked_by
    )
    if job.what != "packet":
        return Made(api.render(plan, job.what, options), name_prefix=prefix)
    made = api.packet(plan, options)
    return Made(zip_files({job.source: job.regimen, **made}, job.stamp), name_prefix=prefix)


class InProcess:
    """Render in the calling thread, one at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def render(self, job: Job) -> Made:
        with self._lock:
            return make(job)

    def close(self) -> None:
        pass


def _serve(connection: Connection, servers_ends: list[Connection], recycle_after: int) -> None:
    """A worker: make each job the server sends and send back what it made, until told to stop.

    ``servers_ends``: the server's ends of every worker's pipe, this one's included, copied by
    the fork: closed at once, so that when the server goes (even killed) this worker reads the
    end of its pipe and ends, and a worker that dies is seen dead by the server.
    """
    import gc
    import signal

    for end in servers_ends:
        end.close()
    _close_inherited_sockets(connection)

    # Ctrl-C reaches every process of the terminal's group; the server alone acts on it (it
    # closes the pipes, and each worker ends). SIGTERM ends a worker at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with contextlib.suppress(OSError):  # a system that refuses: the same priority, still right
        os.nice(NICENESS)
    gc.freeze()  # the server's objects, shared with it: never looked at again by collections
    for _ in range(recycle_after):
        try:
            job = connection.recv()
        except (EOFError, OSError):  # the server has gone, or stopped us
            return
        if job is None:
            return
        try:
            answer: tuple[str, Any] = ("made", make(job))
        except Exception as err:  # a bug: this request gets an error, the server goes on
            answer = ("error", f"{type(err).__name__}: {err}")
        try:
            connection.send(answer)
        except OSError:
            return
    # Recycled: the server sees the pipe close after this answer and starts a fresh worker.


class _Worker:
    def __init__(self, context: Any, recycle_after: int, others: list[_Worker]) -> None:
        ours, theirs = context.Pipe()
        servers_ends = [other.connection for other in others] + [ours]
        self.process: BaseProcess = context.Process(
            target=_serve,
            args=(theirs, servers_ends, recycle_after),
            daemon=True,
            name="taper-renderer",
        )
        self.process.start()
        theirs.close()
        self.connection: Connection = ours
        self.left = recycle_after  # jobs before it recycles itself

    def end(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


class Pool:
    """Worker processes forked from this (warmed) process, one request at a time each.

    A request takes an idle worker (waiting for one when all are busy), sends it the job and
    waits on its pipe; a worker that is gone when it answers is replaced at once.
    """

    def __init__(
        self,
        count: int | None = None,
        *,
        timeout: float = TIMEOUT,
        recycle_after: int = RECYCLE_AFTER,
    ) -> None:
        import multiprocessing

        warm()
        self._context = multiprocessing.get_context("fork")
        self._timeout = timeout
        self._recycle_after = recycle_after
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()  # the warmest first
        self._lock = threading.Lock()  # guards _workers and _closed, never held over a render
        self._workers: list[_Worker] = []
        self._closed = False
        for _ in range(count or default_count()):
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        # One fork at a time, and under the lock: a worker forked while another's pipe is
        # being made would hold that worker's end, and its death would then never be seen.
        with self._lock:
            worker = _Worker(self._context, self._recycle_after, self._workers)
            self._workers.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        worker.end()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            if self._closed:
                return
        self._idle.put(self._start())

    @property
    def pids(self) -> list[int]:
        """The workers' process ids (for tests and the benchmark)."""
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.pid is not None]

    def render(self, job: Job) -> Made:
        if self._closed:
            raise WorkerStopped("the server is stopping; try again when it is back")
        worker = self._idle.get()
        try:
            worker.connection.send(job)
            if not worker.connection.poll(self._timeout):
                raise TimeoutError
            kind, value = worker.connection.recv()
        except (EOFError, OSError, TimeoutError) as err:
            self._replace(worker)
            why = "took too long" if isinstance(err, TimeoutError) else "stopped"
            raise WorkerStopped(
                f"the process rendering this packet {why}; taper started a fresh one: "
                "send the request again"
            ) from err
        worker.left -= 1
        if worker.left <= 0:
            self._replace(worker)
        else:
            self._idle.put(worker)
        if kind == "error":
            raise RuntimeError(f"rendering failed in a worker ({value})")
        assert isinstance(value, Made)
        return value

    def close(self) -> None:
        """End every worker (between requests: at once; a request in flight gets an error)."""
        with self._lock:
            self._closed = True
            workers, self._workers = list(self._workers), []
        for worker in workers:
            worker.end()


def warm() -> None:
    """What every render needs, loaded before the fork so that every worker starts with it
    (``taper.api.warm``): the renderers, fonts, data and caches, and each patient language's
    catalogue and CLDR data (about 0.1 s for Spanish, paid once by the server rather than by
    each worker's first Spanish packet, and again after each recycle)."""
    from taper import api
    from taper.read.keys import LANGUAGES

    api.warm(tuple(LANGUAGES))


def _close_inherited_sockets(keep: Connection) -> None:
    """Let go of the server's sockets a worker was forked with (its listener, the connections
    open at the fork): a worker needs only its pipe, and a copy held here would keep the port
    bound, and a finished connection's socket open, for as long as the worker lives.

    Each is replaced by /dev/null rather than closed: the server's socket objects, copied by
    the fork, still name those descriptors, and one closed later by them must not be a file
    the worker has opened since under the same number."""
    import stat

    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # pragma: no cover - no /proc: the copies live until the worker ends
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in descriptors:
            if fd <= 2 or fd in (keep.fileno(), null):
                continue
            with contextlib.suppress(OSError):  # (the listing's own descriptor, already gone)
                if stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
    finally:
        os.close(null)


def default_count() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)
