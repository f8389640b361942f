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

It also gives the speed-up the counted work allows on two identical idle CPUs (``--jobs 1``'s
count over the parent's and an even share of the workers'), and with ``--server`` the
server's instructions a packet (``taper serve`` and its workers, the mix sent four at a time
after a first packet of each template, counted between ``callgrind_control --zero`` and
``--dump``) against the print run's. With workers the count moves by about 1 % between runs:
which worker builds which packet changes what each one's caches already hold.

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


def _under_callgrind(tree: str | None, records: Path) -> tuple[list[str], dict[str, str]]:
    """``python -m taper`` under callgrind, every process counted from its fork into a file of
    its own in ``records`` (emptied), and the environment to run it in."""
    shutil.rmtree(records, ignore_errors=True)
    records.mkdir()
    env = dict(ENV, PYTHONHASHSEED="0")
    if tree is not None:
        env["PYTHONPATH"] = tree
    command = [
        "valgrind",
        "--quiet",
        "--tool=callgrind",
        "--trace-children=yes",
        "--zero-before=PyOS_AfterFork_Child",
        f"--callgrind-out-file={records}/%p",
        sys.executable,
        "-m",
        "taper",
    ]
    return command, env


def count(tree: str | None, folder: Path, jobs: int, work: Path) -> list[int]:
    """The instructions of each process of one print run, the parent first."""
    records = work / "callgrind"
    taper, env = _under_callgrind(tree, records)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    command = [*taper, "build", str(folder), "-o", str(out), "--jobs", str(jobs)]
    subprocess.run(command, env=env, check=True, capture_output=True, cwd=work)
    return [_totals(record) for record in sorted(records.iterdir(), key=lambda p: int(p.name))]


def _totals(path: Path) -> int:
    text = path.read_text(encoding="utf-8", errors="replace")
    found = re.findall(r"^(?:totals|summary): (\d+)", text, re.MULTILINE)
    return int(found[-1]) if found else 0


def count_server(tree: str | None, folder: Path, work: Path) -> list[int]:
    """The instructions of ``taper serve`` and its workers for each packet of the folder sent
    four at a time, as ``bench.py`` sends them, after a first packet of each template (so the
    workers' caches are warm, as they are for a server that has been up a while)."""
    from concurrent.futures import ThreadPoolExecutor

    from bench import Server

    records = work / "callgrind-server"
    command, env = _under_callgrind(tree, records)
    bodies = [path.read_bytes() for path in sorted(folder.iterdir())]
    served = Server(command, env=env)
    try:
        for body in bodies[:20]:
            assert served.post("/api/packet", body)[0] == 200
        # From here: every process's count starts again at zero, and is written out after the
        # mix (a file for each process, named after its own with a dump number).
        subprocess.run(["callgrind_control", "--zero"], check=True, capture_output=True)
        with ThreadPoolExecutor(4) as pool:
            statuses = {s for s, _ in pool.map(lambda b: served.post("/api/packet", b), bodies)}
        assert statuses == {200}, statuses
        subprocess.run(["callgrind_control", "--dump"], check=True, capture_output=True)
    finally:
        served.stop()
    dumps = [path for path in records.iterdir() if "." in path.name]
    return [_totals(path) for path in sorted(dumps)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=40, help="packets of the mix")
    parser.add_argument("--jobs", type=int, action="append", help="1 and 2 unless given")
    parser.add_argument("--tree", action="append", help="a source tree to put on PYTHONPATH")
    parser.add_argument(
        "--server",
        action="store_true",
        help="also the server's instructions a packet, against the print run's (--jobs 2)",
    )
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
                    if args.server:
                        served = count_server(tree, folder, work)
                        per_packet = sum(served) / args.packets
                        print(
                            f"{tree or 'installed taper'}, the server (the mix four at a time, "
                            f"warm): {per_packet / 1e6:.0f} M instructions a packet "
                            f"({' + '.join(f'{part / 1e9:.3f}' for part in served)} G); the "
                            f"print run's ÷ the server's: {total / args.packets / per_packet:.2f}",
                            flush=True,
                        )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
