"""Benchmark: taper against its library floors, alternating the two in one run.

    python bench/bench.py [--rounds 7]

1. `taper plan --json` on a typical course against `python -c "import click, pendulum"`
   (target ≤ 1.3: reportlab and icalendar stay out of this path).
2. `taper build` on the same course against the library floor, a script that only imports the
   four libraries and writes a 60-event .ics and a 3-page table PDF (the floor script is
   ../shared/bench/floor.py when it is there, else the copy in bench/floor.py); target ≤ 1.5.

Each pair runs alternately (floor, taper, floor, taper, …) so machine load hits both alike;
the figures are medians of wall-clock time and the peak resident memory of each process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
COURSE = HERE.parent / "tests" / "regimens" / "pulse-then-taper.toml"


def floor_script() -> Path:
    shared = HERE.parent.parent / "shared" / "bench" / "floor.py"
    return shared if shared.exists() else HERE / "floor.py"


def measure(
    name: str,
    floor: list[str],
    ours: list[str],
    rounds: int,
    cwd: Path,
    target: float,
    reset: list[Path],
) -> None:
    floor_times: list[float] = []
    our_times: list[float] = []
    for path in reset:
        shutil.rmtree(path, ignore_errors=True)
    timed(floor, cwd)  # warm-up: caches bytecode and the file system
    timed(ours, cwd)
    for _ in range(rounds):
        for path in reset:
            shutil.rmtree(path, ignore_errors=True)
        floor_times.append(timed(floor, cwd))
        our_times.append(timed(ours, cwd))
    for path in reset:
        shutil.rmtree(path, ignore_errors=True)
    floor_median = statistics.median(floor_times)
    our_median = statistics.median(our_times)
    ratio = our_median / floor_median
    verdict = "ok" if ratio <= target else "OVER TARGET"
    print(
        f"{name}: taper {our_median * 1000:.0f} ms, floor {floor_median * 1000:.0f} ms, "
        f"ratio {ratio:.2f} (target ≤ {target}) {verdict}; "
        f"peak memory taper {peak(ours, cwd) / 1024:.0f} MiB, "
        f"floor {peak(floor, cwd) / 1024:.0f} MiB"
    )


# Measure what an installed user runs: with bytecode caches (pip writes them at install time),
# so a PYTHONDONTWRITEBYTECODE in the caller's environment must not make us recompile each run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    return time.perf_counter() - start


def peak(command: list[str], cwd: Path) -> int:
    """Peak RSS in KiB of one run, measured in a fresh child so runs don't mask each other."""
    probe = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *command],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    )
    return int(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--course", type=Path, default=COURSE)
    args = parser.parse_args()
    taper = shutil.which("taper") or str(Path(sys.executable).with_name("taper"))
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, {args.rounds} rounds"
        print(f"course: {args.course.name}; {env_note}")
        measure(
            "plan --json",
            [sys.executable, "-c", "import click, pendulum"],
            [taper, "plan", "--json", str(args.course)],
            args.rounds,
            cwd,
            1.3,
            [],
        )
        packet = cwd / "packet"
        measure(
            "build",
            [sys.executable, str(floor_script()), str(cwd / "floor")],
            [taper, "build", str(args.course), "-o", str(packet)],
            args.rounds,
            cwd,
            1.5,
            [packet],
        )


if __name__ == "__main__":
    main()
