"""Print a SHA-256 for every file of every template's packet, regular and large print.

A refactoring step must leave these bytes alone: run it before and after and diff the outputs.

    python scripts/packet_digests.py > before.txt   # on the old commit
    python scripts/packet_digests.py > after.txt    # on the new one
    diff before.txt after.txt

It runs the installed `taper` program with a fixed SOURCE_DATE_EPOCH, start date, zone, weight
and height, so the packets depend on nothing but the code.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

START = "2027-03-01"
ZONE = "America/New_York"


def _taper(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "taper", *args], check=True, env=env, stdout=subprocess.DEVNULL
    )


def main() -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1795305600", "TZ": ZONE}
    names = subprocess.run(
        [sys.executable, "-m", "taper", "templates"], check=True, capture_output=True, text=True
    ).stdout.split("\n")
    templates = sorted(line.split()[0] for line in names if line.strip())
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for name in templates:
            regimen = root / f"{name}.toml"
            _taper(
                "new", name, "-o", str(regimen), "--start", START, "--timezone", ZONE,
                "--weight", "70 kg", "--height", "170 cm", env=env,
            )  # fmt: skip
            for large in (False, True):
                out = root / f"{name}{'-large' if large else ''}"
                _taper("build", str(regimen), "-o", str(out), *(["--large-print"] * large), env=env)
                for path in sorted(out.iterdir()):
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                    print(f"{digest}  {out.name}/{path.name}", flush=True)


if __name__ == "__main__":
    main()
