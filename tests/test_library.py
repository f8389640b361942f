"""taper as a library: importing it changes nothing in the process; exit codes are named once."""

from __future__ import annotations

import signal
import subprocess
import sys

from taper.read.errors import ExitCode


def test_importing_taper_leaves_the_zone_search_path_alone() -> None:
    script = (
        "import zoneinfo\n"
        "zoneinfo.reset_tzpath(to=['/nowhere'])\n"
        "import taper, taper.api, taper.cli, taper.files.packets\n"
        "print(zoneinfo.TZPATH)\n"
        "from taper.read.zones import zone\n"
        "zone('America/New_York')  # taper's zones come from tzdata: its folder is the path now\n"
        "print(zoneinfo.TZPATH)\n"
        "from taper.read.zones import TZDATA\n"
        "print(zoneinfo.TZPATH == (str(TZDATA / 'zoneinfo'),))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    first, _, only_tzdata = result.stdout.splitlines()
    assert first == "('/nowhere',)"
    assert only_tzdata == "True"


def test_exit_codes() -> None:
    assert [int(code) for code in ExitCode] == [0, 1, 2, 129, 130, 143]
    assert ExitCode.for_signal(signal.SIGINT) is ExitCode.SIGINT
    assert ExitCode.for_signal(signal.SIGTERM) is ExitCode.SIGTERM
    assert ExitCode.for_signal(signal.SIGHUP) is ExitCode.SIGHUP
    assert ExitCode.for_signal(signal.SIGUSR1) == 128 + signal.SIGUSR1
