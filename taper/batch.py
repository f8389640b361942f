"""Building packets: one regimen's packet, and a print run of many on every core.

``render_packet`` turns a plan into the packet's files (one function, so a print run writes the
same bytes as ``taper build`` of one regimen). ``run`` builds many packets, each into its own
folder named from its regimen file and each written atomically on its own (``write_folder``):
a regimen that fails is reported with its file and place, and the others are still built.

Workers are processes of a pool whose initialiser imports the renderers once, so every packet
after a worker's first costs only its own work. Each worker writes its packet itself and hands
back only a short outcome, so the parent's memory does not grow with the number of packets.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from taper.errors import OutputError, RegimenError, TaperError
from taper.plan import Plan

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

PACKET_FILES = ("plan.json", "reminders.ics", "patient.pdf", "pharmacist.pdf", "nurse.pdf")
_GLOB = ("*", "?", "[")


def load_renderers(*, freeze: bool = False) -> None:
    """Import the renderers (reportlab's settings pinned) once.

    ``freeze`` (for a process that only builds packets: the ``taper`` program, a print run's
    workers): what exists now lives as long as the process, so no collection needs to look at
    it again (a big course's reminders and pages allocate enough to make it look many times).
    """
    import gc

    import taper.export.ics
    import taper.export.json
    import taper.export.pdf
    import taper.schedules  # noqa: F401

    if freeze:
        gc.freeze()


def _start_worker() -> None:
    """A print run worker's initialiser."""
    load_renderers(freeze=True)


def render_packet(
    plan: Plan, *, stamp: datetime, paper: str, large_print: bool
) -> dict[str, bytes]:
    """The files of one packet, by name, in the order they are written."""
    import gc

    from taper.export import rlsettings

    rlsettings.pin()
    from taper.export.ics import render_ics
    from taper.export.json import render_json
    from taper.export.pdf import render_pdf

    # No cycle collection while the packet is rendered: what it allocates is freed by reference
    # counting, and collections would walk the growing calendar and pages again and again (a
    # tenth of a long course's time). The first collection after it looks at them once.
    collecting = gc.isenabled()
    gc.disable()
    try:
        files = {
            "plan.json": render_json(plan),
            "reminders.ics": render_ics(plan, stamp=stamp),
            "patient.pdf": render_pdf(
                plan, "patient", stamp=stamp, paper=paper, large_print=large_print
            ),
            "pharmacist.pdf": render_pdf(plan, "pharmacist", stamp=stamp, paper=paper),
            "nurse.pdf": render_pdf(plan, "nurse", stamp=stamp, paper=paper),
        }
    finally:
        if collecting:
            gc.enable()
    assert tuple(files) == PACKET_FILES
    return files


# -- which regimens, into which folders -----------------------------------------------------


def is_print_run(arguments: Sequence[str]) -> bool:
    """Several regimens, a folder of them or a glob: one packet folder each inside ``-o``."""
    return len(arguments) > 1 or any(
        Path(a).is_dir() or (any(c in a for c in _GLOB) and not Path(a).exists()) for a in arguments
    )


def regimen_files(arguments: Sequence[str]) -> list[Path]:
    """The regimen files named by files, folders (their ``*.toml``) and globs, each once."""
    found: list[Path] = []
    missing: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            matches = sorted(p for p in path.glob("*.toml") if p.is_file())
            if not matches:
                missing.append(f"{argument}: the folder holds no .toml regimen")
        elif path.exists() or not any(c in argument for c in _GLOB):
            matches = [path]  # a missing file is reported when it is read, with the others
        else:
            matches = sorted(Path(p) for p in glob.glob(argument) if Path(p).is_file())
            if not matches:
                missing.append(f"{argument}: no regimen file matches this pattern")
        found.extend(matches)
    if missing:
        raise OutputError("; ".join(missing))
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


def packet_folders(regimens: Sequence[Path], output: Path) -> dict[Path, Path | str]:
    """Each regimen's packet folder (``OUTDIR/<file name without .toml>``), or why it has none."""
    by_name: dict[str, list[Path]] = {}
    for regimen in regimens:
        by_name.setdefault(regimen.stem, []).append(regimen)
    folders: dict[Path, Path | str] = {}
    for regimen in regimens:
        same = [str(other) for other in by_name[regimen.stem] if other != regimen]
        if regimen.stem.startswith(".") or not regimen.stem:
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


@dataclass(frozen=True)
class Job:
    regimen: Path
    folder: Path
    today: date
    stamp: datetime
    paper: str
    large_print: bool
    force: bool


@dataclass(frozen=True)
class Outcome:
    regimen: Path
    folder: Path | None
    error: str | None  # what went wrong, naming the file; None when the packet was written


def build_one(job: Job) -> Outcome:
    """Read, render and write one packet; every failure becomes an outcome, never an exception."""
    from taper.output import write_folder
    from taper.schedules import load_plan

    try:
        try:
            plan = load_plan(job.regimen, today=job.today)
        except RegimenError as err:  # name the file as it was given, folder included
            raise RegimenError(str(job.regimen), err.problems) from err
        files = render_packet(plan, stamp=job.stamp, paper=job.paper, large_print=job.large_print)
        write_folder(str(job.folder), files, force=job.force)
    except TaperError as err:
        message = str(err)
        if not message.startswith(str(job.regimen)):
            message = f"{job.regimen}: {message}"
        return Outcome(job.regimen, None, message)
    except Exception as err:  # a bug must not stop the rest of the run; it is still reported
        return Outcome(
            job.regimen, None, f"{job.regimen}: internal error ({type(err).__name__}: {err})"
        )
    return Outcome(job.regimen, job.folder, None)


def _context() -> BaseContext:
    """Fork where there is fork (the workers start with what the parent has imported)."""
    import multiprocessing  # here, not at the top: a single build does not pay for it

    methods = multiprocessing.get_all_start_methods()
    if sys.platform != "darwin" and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run(jobs: Sequence[Job], workers: int, *, freeze: bool = False) -> Iterator[Outcome]:
    """Build every job, yielding outcomes as packets finish (in any order)."""
    if workers <= 1 or len(jobs) <= 1:
        load_renderers(freeze=freeze)
        for job in jobs:
            yield build_one(job)
        return
    context = _context()
    if context.get_start_method() == "fork":
        # Imported once here rather than once in each worker: forked workers start with them.
        load_renderers(freeze=freeze)
    pool = context.Pool(min(workers, len(jobs)), initializer=_start_worker)
    try:
        yield from pool.imap_unordered(build_one, jobs, chunksize=1)
        pool.close()
    finally:
        pool.terminate()
        pool.join()


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
) -> list[Outcome]:
    """Build one packet per regimen into ``output``; outcomes in the order of ``regimens``."""
    _make_folder(output)
    outcomes: dict[Path, Outcome] = {}
    jobs = []
    for regimen, folder in packet_folders(regimens, output).items():
        if isinstance(folder, str):
            outcomes[regimen] = Outcome(regimen, None, folder)
        else:
            jobs.append(Job(regimen, folder, today, stamp, paper, large_print, force))
    for outcome in run(jobs, workers, freeze=freeze):
        outcomes[outcome.regimen] = outcome
        if progress is not None:
            progress(outcome)
    return [outcomes[regimen] for regimen in regimens]


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
