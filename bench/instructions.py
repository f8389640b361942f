"""Instructions, not seconds: a print run's work counted by valgrind, the same on every run.

    python bench/instructions.py                      # the installed taper, --jobs 1 and 2
    python bench/instructions.py --tree A --tree B    # two source trees, each on PYTHONPATH

CPU time on a shared or virtual machine moves by ±25 % from one minute to the next (another
guest's load, the host taking a CPU away), so a lever worth 3 % cannot be seen in seconds
without many paired rounds. valgrind's callgrind counts the instructions every process of
``taper build FOLDER --jobs N`` executes: a count that moves by about 0.02 % between runs,
whatever the machine is doing. A forked worker is counted from its fork
(``--zero-before=PyOS_AfterFork_Child``: a child otherwise starts with its parent's count).
Python runs about 50 times slower under valgrind: a 40-packet run takes a minute or two.

The folder is the benchmark's mix (``bench.py``: every shipped template in turn). The count is
a measure of work, not of time: a lever that waits less (on a pipe, on the disk) shows only in
``bench.py``'s wall-clock figures. Needs valgrind (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import ENV, regimen_folder


def count(tree: str | None, folder: Path, jobs: int, work: Path) -> list[int]:
    """The instructions of each process of one print run, the parent first."""
    records = work / "callgrind"
    shutil.rmtree(records, ignore_errors=True)
    records.mkdir()
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    env = dict(ENV, PYTHONHASHSEED="0")
    if tree is not None:
        env["PYTHONPATH"] = tree
    command = [
        "valgrind",
        "--tool=callgrind",
        "--trace-children=yes",
        "--zero-before=PyOS_AfterFork_Child",
        f"--callgrind-out-file={records}/%p",
        sys.executable,
        "-m",
        "taper",
        "build",
        str(folder),
        "-o",
        str(out),
        "--jobs",
        str(jobs),
    ]
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=work)
    counts = []
    for record in sorted(records.iterdir(), key=lambda path: int(path.name)):
        text = record.read_text(encoding="utf-8", errors="replace")
        found = re.findall(r"^(?:totals|summary): (\d+)", text, re.MULTILINE)
        counts.append(int(found[-1]) if found else 0)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=40, help="packets of the mix")
    parser.add_argument("--jobs", type=int, action="append", help="1 and 2 unless given")
    parser.add_argument("--tree", action="append", help="a source tree to put on PYTHONPATH")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory(prefix="taper-instructions-") as name:
        work = Path(name)
        folder = regimen_folder(work / "orders", args.packets)
        for tree in args.tree or [None]:
            alone = 0
            for jobs in args.jobs or [1, 2]:
                counts = count(tree, folder, jobs, work)
                total = sum(counts)
                parts = " + ".join(f"{part / 1e9:.3f}" for part in counts)
                print(
                    f"{tree or 'installed taper'}, --jobs {jobs}: {total / 1e9:.3f} G "
                    f"instructions ({parts}; parent first), "
                    f"{total / args.packets / 1e6:.0f} M a packet",
                    flush=True,
                )
                if jobs == 1:
                    alone = total
                elif len(counts) > 1 and alone:
                    # The parent's work (its start and first packet before the fork, then its
                    # dispatching, counted as if none of it ran beside the workers), then the
                    # workers' shared evenly: a print run hands each packet to whichever worker
                    # is free, so how they split here follows valgrind's own pace.
                    workers = counts[1:]
                    chain = counts[0] + sum(workers) / len(workers)
                    print(
                        f"  the speed-up this work allows on {len(workers)} identical idle CPUs: "
                        f"{alone / chain:.2f}× (--jobs 1's {alone / 1e9:.3f} G over the "
                        f"parent's and an even share of the workers' {chain / 1e9:.3f} G)",
                        flush=True,
                    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
