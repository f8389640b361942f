"""Building packets: one regimen's packet, and a print run of many on every core.

The packet's files come from ``taper.files.packets.render`` (one function, so a print run writes the
same bytes as ``taper build`` of one regimen). ``run builds many packets, each into its own
folder named from its regimen file and each written atomically on its own (``write_folder``):
a regimen that fails is reported with its file and place, and the others are still built.

Workers are processes of a pool whose initialiser imports the renderers once, so every packet
after a worker's first costs only its own work. Each worker writes its packet itself and hands
back only a short outcome, so the parent's memory does not grow with the number of packets.
"""

from __future__ import annotations

import contextlib
import glob
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from taper.read.errors import ExitCode, OutputError, RegimenError, TaperError
from taper.records.plan import Plan

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import BaseContext
    from multiprocessing.process import BaseProcess

    from taper.files.writing import OutputFolder

_GLOB = ("*", "?", "[")


def load_renderers(*, freeze: bool = False, warm: bool = False) -> None:
    """Get a process ready to build packets.

    ``warm`` (before forking a print run's workers, when the parent's own first packet failed
    and so may not have loaded them): load the renderers, fonts, data and caches once here
    (``taper.api.warm``), so the workers start with them rather than each loading them for its
    first packet.

    ``freeze`` (for a process that only builds packets: the ``taper`` program, a print run's
    workers): what exists now lives as long as the process, so no collection needs to look at
    it again (a big course's reminders and pages allocate enough to make it look many times).
    """
    import gc

    if warm:
        from taper.api import warm as warm_up
        from taper.files.writing import load_renames

        warm_up()
        load_renames()  # ctypes, for renameat2: ~10 ms to import, once rather than per worker
    if freeze:
        gc.freeze()


_IN_WORKER = False


def _start_worker() -> None:
    """A print run worker's initialiser: the renderers, and signals of its own.

    Ctrl-C (and a hang-up) reach every process of the terminal's group; only the parent acts
    on them: it stops the pool, which ends each worker with SIGTERM. A worker killed by Ctrl-C
    while it waits for work could die holding the pool's queue lock and leave the others (and
    the parent) waiting forever. SIGTERM ends a worker between packets at once and, during a
    packet, after the packet's temporary files are removed (``build_one``).
    """
    import gc
    import signal

    from taper.files import signals

    global _IN_WORKER
    _IN_WORKER = True
    signals._guard = None  # the parent's, copied by fork
    for number in _PARENTS_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    load_renderers(freeze=True)
    gc.enable()  # between packets: a worker builds many


def _parents_signals() -> tuple[int, ...]:
    import signal

    return (signal.SIGINT,) + ((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())


_PARENTS_SIGNALS = _parents_signals()


# -- which regimens, into which folders -----------------------------------------------------


def is_print_run(arguments: Sequence[str]) -> bool:
    """Several regimens, a folder of them or a glob: one packet folder each inside ``-o``."""
    # os.path's tests answer False where stat() fails (a folder without search permission):
    # Path.is_dir() raises then, and the file is reported when it is read.
    return len(arguments) > 1 or any(
        os.path.isdir(a) or (any(c in a for c in _GLOB) and not os.path.lexists(a))
        for a in arguments
    )


def regimen_files(arguments: Sequence[str]) -> list[Path]:
    """The regimen files named by files, folders (their ``*.toml``) and globs, each once."""
    found: list[Path] = []
    missing: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if os.path.isdir(path):
            matches = sorted(p for p in path.glob("*.toml") if os.path.isfile(p))
            if not matches:
                missing.append(f"{argument}: the folder holds no .toml regimen")
        elif os.path.lexists(path) or not any(c in argument for c in _GLOB):
            matches = [path]  # a missing file is reported when it is read, with the others
        else:
            matches = sorted(Path(p) for p in glob.glob(argument) if os.path.isfile(p))
            if not matches:
                missing.append(f"{argument}: no regimen file matches this pattern")
        found.extend(matches)
    if missing:
        raise OutputError("; ".join(missing))
    # The same name given twice (orders/ and orders/jane.toml) is built once. Two names of one
    # file (a symbolic or hard link) are kept: packet_folders refuses both, saying why.
    unique: dict[tuple[str, str], Path] = {}
    for path in found:
        unique.setdefault((os.path.realpath(path.parent), path.name), path)
    return list(unique.values())


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None  # reported when it is read
    return (info.st_dev, info.st_ino)


def aliases(regimens: Sequence[Path]) -> dict[Path, list[Path]]:
    """The regimens that are another name of a file also given (a symbolic link such as
    ``orders/bob.toml -> jane.toml``, or a hard link), each with the other names: a packet
    named from one name would hold the plan of another."""
    names: dict[tuple[int, int], list[Path]] = {}
    for regimen in regimens:
        identity = _file_identity(regimen)
        if identity is not None:
            names.setdefault(identity, []).append(regimen)
    return {
        regimen: [other for other in same if other != regimen]
        for same in names.values()
        if len(same) > 1
        for regimen in same
    }


def packet_folders(regimens: Sequence[Path], output: Path) -> dict[Path, Path | str]:
    """Each regimen's packet folder (``OUTDIR/<file name without .toml>``), or why it has none."""
    by_name: dict[str, list[Path]] = {}
    for regimen in regimens:
        by_name.setdefault(regimen.stem, []).append(regimen)
    folders: dict[Path, Path | str] = {}
    linked = aliases(regimens)
    for regimen in regimens:
        same = [str(other) for other in by_name[regimen.stem] if other != regimen]
        if regimen in linked:
            others = ", ".join(str(other) for other in linked[regimen])
            folders[regimen] = (
                f"{regimen}: is the same file as {others} (a link): one order under two names "
                "would give two packets of one plan, one of them under the wrong name; neither "
                "is built. Remove the link, or give the file under one name"
            )
        elif regimen.stem.startswith(".") or not regimen.stem:
            folders[regimen] = f"{regimen}: a hidden file name gives no packet name; rename it"
        elif same:
            folders[regimen] = (
                f"{regimen}: its packet would be {output / regimen.stem}, like that of "
                f"{', '.join(same)}; rename one of the files"
            )
        else:
            folders[regimen] = output / regimen.stem
    return folders


# -- building -----------------------------------------------------------------------------


class Job(NamedTuple):
    regimen: Path
    folder: Path
    today: date
    stamp: datetime
    paper: str
    large_print: bool
    force: bool
    checked_by: str | None = None  # --checked-by: the pharmacist's name on the sign-off
    language: str | None = None  # --lang: the patient's language instead of the file's


class Outcome(NamedTuple):
    regimen: Path
    folder: Path | None
    error: str | None  # what went wrong, naming the file; None when the packet was written
    notes: tuple[str, ...] = ()  # for the user, from writing the packet (a packet put back, …)


def build_one(job: Job) -> Outcome:
    """Read, render and write one packet; every failure becomes an outcome, never an exception.

    A signal (Ctrl-C, kill) before the packet is in place stops it with nothing written
    (``Interrupted``: a worker then ends at once; in-process, the run stops); once the packet
    is in place it is complete.
    """
    from taper.api import load
    from taper.files import signals
    from taper.files.signals import Interrupted, interruption_guard
    from taper.files.writing import OutputFolder

    try:
        with interruption_guard():
            # Each packet is an output of its own: a signal before it is in place stops it, and
            # one that came once the last packet was in place stops the run before this one.
            signals.begin()
            if _IN_WORKER:  # the parent alone acts on these (_start_worker)
                import signal

                for number in _PARENTS_SIGNALS:
                    signal.signal(number, signal.SIG_IGN)
            return _build(job, load, OutputFolder)
    except Interrupted as err:
        if _IN_WORKER:
            os._exit(ExitCode.for_signal(err.signum))
        raise


def _warning_notes(regimen: Path, plan: Plan) -> tuple[str, ...]:
    """A built packet's warnings as ``taper check`` prints them, naming the file (issue 25: a
    nurse who only builds sees them too)."""
    from taper.voice.console import file_warning

    return tuple(f"  {file_warning(str(regimen), warning)}" for warning in plan.warnings)


def _build(job: Job, load: Callable[..., Plan], folder: type[OutputFolder]) -> Outcome:
    from taper.files.packets import Options
    from taper.files.packets import render as render_packet

    try:
        try:
            plan = load(job.regimen, today=job.today)
            if job.language is not None:
                plan = plan._replace(language=job.language)
        except RegimenError as err:  # name the file as it was given, folder included
            raise RegimenError(str(job.regimen), err.problems) from err
        out = folder(str(job.folder), force=job.force, inputs={"the regimen": job.regimen})
        options = Options(
            job.stamp, paper=job.paper, large_print=job.large_print, checked_by=job.checked_by
        )
        files = render_packet(plan, options)
        notes = tuple(out.write(files)) + _warning_notes(job.regimen, plan)
    except TaperError as err:
        message = str(err)
        if not message.startswith(str(job.regimen)):
            message = f"{job.regimen}: {message}"
        return Outcome(job.regimen, None, message)
    except Exception as err:  # a bug must not stop the rest of the run; it is still reported
        return Outcome(
            job.regimen, None, f"{job.regimen}: internal error ({type(err).__name__}: {err})"
        )
    return Outcome(job.regimen, job.folder, None, notes)


def _context() -> BaseContext:
    """Fork where there is fork (the workers start with what the parent has imported)."""
    import multiprocessing  # here, not at the top: a single build does not pay for it

    methods = multiprocessing.get_all_start_methods()
    if sys.platform != "darwin" and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def _worker(connection: Connection) -> None:
    """A worker process: build the jobs the parent sends, one at a time, until told to stop."""
    _start_worker()
    while True:
        try:
            job = connection.recv()
        except EOFError:  # the parent has gone
            return
        if job is None:
            return
        outcome = build_one(job)
        try:
            connection.send(outcome)
        except OSError:  # the parent has stopped the run
            return


class _Workers:
    """Worker processes, each with a pipe of its own to the parent (no lock is shared, so a
    worker stopped at any moment can never leave another one waiting)."""

    def __init__(self, context: Any) -> None:
        self.context = context
        # Each worker's jobs, in the order sent: the first is the one it builds.
        self.busy: dict[Connection, list[Job]] = {}
        self.processes: dict[Connection, BaseProcess] = {}
        self.broken: set[Connection] = set()  # ended: nothing more is sent

    def start(self) -> None:
        from taper.files.signals import signals_deferred

        # A signal is acted on once the worker is started and recorded (so that ``stop`` ends
        # it), not during the fork: raised there, inside an at-fork hook, Python would print
        # and drop it, and the run would go on as if it had not come.
        with signals_deferred():
            ours, theirs = self.context.Pipe()
            process = self.context.Process(target=_worker, args=(theirs,), daemon=True)
            process.start()
            theirs.close()
            self.busy[ours] = []
            self.processes[ours] = process

    def retire(self, connection: Connection) -> None:
        connection.close()
        self.processes.pop(connection).join()
        del self.busy[connection]
        self.broken.discard(connection)

    def stop(self) -> None:
        """End every worker: at once between packets, after removing its temporaries during one."""
        for connection, process in self.processes.items():
            connection.close()
            if process.is_alive():
                process.terminate()
        for process in self.processes.values():
            process.join(timeout=1)
        # A worker whose packet went into place as the first SIGTERM came keeps that packet
        # (a signal after the commit no longer stops it) and waits for work: a second ends it.
        for process in self.processes.values():
            if process.is_alive():
                process.terminate()
        for process in self.processes.values():
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        self.processes.clear()
        self.busy.clear()
        self.broken.clear()


# The jobs a print-run worker holds at once: the one it builds and the next.
_AHEAD = 2


def run(jobs: Sequence[Job], workers: int, *, freeze: bool = False) -> Iterator[Outcome]:
    """Build every job, yielding outcomes as packets finish (in any order)."""
    from taper.files import signals

    if workers <= 1 or len(jobs) <= 1:
        load_renderers(freeze=freeze)
        yield from _in_this_process(jobs)
        return
    from multiprocessing.connection import Connection, wait

    context = _context()
    # The longest courses first: one started last would be the run's long pole. ``waiting`` is
    # taken from its end; among courses of one cost, the given order.
    waiting = sorted(reversed(jobs), key=lambda job: expected_cost(job.regimen))
    if context.get_start_method() == "fork":
        # Forked workers start with what the parent has loaded, so it is loaded once here
        # rather than once in each worker: the parent builds the cheapest packet itself,
        # which loads the renderers and libraries, the fonts, data and caches on its way. The
        # warm-up is then a packet of the run, not a course built to be thrown away; a
        # shipped course warms the parent only when that packet failed (taper.api.warm).
        first = build_one(waiting.pop(0))
        yield first
        signals.begin()  # a signal now stops the run again (the packet in place stays)
        load_renderers(freeze=freeze, warm=first.folder is None)
        from taper.files.writing import load_renames

        load_renames()  # ctypes, for renameat2: ~10 ms to import, once rather than per worker
        if len(waiting) <= 1:  # one more: a worker would only build it after this one
            yield from _in_this_process(waiting)
            return
    pool = _Workers(context)
    try:
        for _ in range(min(workers, len(waiting))):
            pool.start()
        while waiting or any(pool.busy.values()):
            # Each worker is sent the job after the one it builds (it starts on it as soon as
            # it has sent its outcome, not once this process has answered), in rounds: one job
            # to each worker, then one more, so the longest courses go to different workers.
            for depth in range(1, _AHEAD + 1):
                for connection, held in list(pool.busy.items()):
                    if len(held) >= depth or not waiting or connection in pool.broken:
                        continue
                    job = waiting.pop()
                    try:
                        connection.send(job)
                    except OSError:  # the worker has ended: another takes its place
                        waiting.append(job)
                        if held:  # its outcome never comes: the end of its pipe says so below
                            pool.broken.add(connection)
                        else:
                            pool.retire(connection)
                            pool.start()
                        continue
                    held.append(job)
            for ready in wait([c for c, held in pool.busy.items() if held]):
                assert isinstance(ready, Connection)
                held = pool.busy[ready]
                done = held.pop(0)
                try:
                    outcome: Outcome = ready.recv()
                # The worker ended in the middle of a packet: the end of its pipe, or a reset
                # when it ended with the job sent ahead unread.
                except (EOFError, OSError):
                    waiting.extend(reversed(held))  # sent ahead, not begun: built by another
                    pool.retire(ready)
                    pool.start()
                    outcome = Outcome(
                        done.regimen, None, f"{done.regimen}: the worker building it stopped"
                    )
                if not waiting and not any(pool.busy.values()):
                    # The last outcome: every packet is in place or has failed, so the run
                    # is complete, and a signal from here (while it is told, and the workers
                    # are told to end) no longer stops it, as in one process.
                    signals.commit()
                yield outcome
        for connection in pool.busy:
            # A worker already gone (a signal to the whole group) needs no telling; its broken
            # pipe is not an error of the run.
            with contextlib.suppress(OSError):
                connection.send(None)
    finally:
        # Not cut short by a signal: every worker is ended before the run says what it wrote.
        with signals.signals_deferred():
            pool.stop()


def _in_this_process(jobs: Sequence[Job]) -> Iterator[Outcome]:
    """Build ``jobs`` one after another in this process; the run is complete once the last
    is in place or has failed, so a signal from then on no longer stops it."""
    from taper.files import signals

    for number, job in enumerate(jobs, 1):
        outcome = build_one(job)
        if number == len(jobs):
            signals.commit()
        yield outcome


def expected_cost(regimen: Path) -> float:
    """A rough measure of how long a regimen's packet takes: its doses and checks, counted from
    the file's phases and reminders without checking it (a packet's cost grows with them).

    For ordering a print run only: a file that cannot be read or counted costs 0 (it fails
    quickly); a form not counted here counts as one day.
    """
    import tomllib

    try:
        document = tomllib.loads(regimen.read_text(encoding="utf-8"))
        days_total = 0.0
        doses = 0.0
        for phase in document.get("phase", []):
            days = _phase_days(phase)
            days_total += days
            doses += days * _per_day(phase)
        for also in document.get("also", []):
            doses += days_total * len(also.get("at", [1])) / max(1, int(also.get("every", 1)))
        return doses
    except Exception:  # anything odd: a quick failure, counted as nothing
        return 0.0


def _phase_days(phase: dict[str, Any]) -> float:
    if isinstance(phase.get("days"), int):
        return float(phase["days"])
    steps = phase.get("steps")
    if isinstance(steps, list):
        return float(sum(int(step.get("days", 1)) for step in steps))
    rule = phase.get("taper")
    if isinstance(rule, dict):
        high, low, by = (_number(rule.get(key, "")) for key in ("from", "to", "by"))
        return (abs(high - low) / by + 1) * int(rule.get("every", 1)) if by else 1.0
    return 1.0


def _per_day(phase: dict[str, Any]) -> float:
    every = str(phase.get("every", ""))
    if every.endswith("h") and _number(every):
        return 24 / _number(every)
    return float(len(phase.get("at", [])) or 1)


def _number(text: object) -> float:
    """The leading number of ``"60 mg"``, ``"6h"``, ``2.5``; 0 when there is none."""
    import re

    found = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)", str(text))
    return float(found.group(1)) if found else 0.0


def print_run(
    regimens: Sequence[Path],
    output: Path,
    *,
    today: date,
    stamp: datetime,
    paper: str,
    large_print: bool,
    force: bool,
    workers: int,
    progress: Callable[[Outcome], None] | None = None,
    freeze: bool = False,
    checked_by: str | None = None,
    language: str | None = None,
) -> list[Outcome]:
    """Build one packet per regimen into ``output``; outcomes in the order of ``regimens``."""
    _make_folder(output)
    outcomes: dict[Path, Outcome] = {}
    jobs = []
    for regimen, folder in packet_folders(regimens, output).items():
        if isinstance(folder, str):
            outcomes[regimen] = Outcome(regimen, None, folder)
        else:
            jobs.append(
                Job(regimen, folder, today, stamp, paper, large_print, force, checked_by, language)
            )
    for outcome in run(jobs, workers, freeze=freeze):
        outcomes[outcome.regimen] = outcome
        if progress is not None:
            progress(outcome)
    return [outcomes[regimen] for regimen in regimens]


def packets_written(regimens: Sequence[Path], output: Path, since_ns: int) -> int:
    """How many of the regimens' packets in ``output`` were put in place from ``since_ns`` on
    (what an interrupted run did write, counted from the files, whatever reached the parent)."""
    from taper.files.writing import MANIFEST

    count = 0
    for folder in packet_folders(regimens, output).values():
        if isinstance(folder, Path):
            try:
                count += (folder / MANIFEST).stat().st_mtime_ns >= since_ns
            except OSError:
                continue
    return count


def _make_folder(output: Path) -> None:
    """The print run's folder: made (owner-only) when it is missing and its parent exists."""
    if output.is_dir():
        return
    if output.exists() or output.is_symlink():
        raise OutputError(f"{output} exists and is not a folder")
    parent = output.absolute().parent
    if not parent.is_dir():
        raise OutputError(f"{output}: the folder {parent} does not exist; create it first")
    try:
        output.mkdir(mode=0o700)
    except OSError as err:
        raise OutputError(f"{output}: cannot create the folder ({err.strerror})") from err


def default_workers() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on every platform
        return max(1, os.cpu_count() or 1)
