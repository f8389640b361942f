"""The one error hierarchy of taper; the CLI turns these into messages in one place."""

import signal
from enum import IntEnum
from typing import NamedTuple

# A process a signal ended exits with 128 + the signal's number (the shells' convention).
_BY_SIGNAL = 128


class Problem(NamedTuple):
    """One thing wrong with an input file, with its place (``phase[2].steps[3].dose``)."""

    place: str
    message: str

    def render(self, source: str) -> str:
        where = f"{source}: {self.place}" if self.place else source
        return f"{where}: {self.message}"


class TaperError(Exception):
    """Base of every error taper reports to its user (never shown as a traceback)."""


class RegimenError(TaperError):
    """Raised when a regimen file cannot be read or fails validation; carries every problem."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"{self.source}: {count} problem{'s' if count != 1 else ''} found"
        return "\n".join([head, *(f"  {p.render(self.source)}" for p in self.problems)])


class OutputError(TaperError):
    """Raised when an output file or folder cannot be written (exists, missing folder, denied)."""


class ExportError(TaperError):
    """Raised when an export cannot represent the plan faithfully (for example a missing glyph)."""


class InputFileError(TaperError):
    """Raised when an input file cannot be read safely (missing, not a regular file, too big)."""


class ExitCode(IntEnum):
    """What the ``taper`` program's exit status says (the README lists them)."""

    OK = 0
    INPUT = 1  # the regimen or another input is wrong, or an output cannot be written
    USAGE = 2  # the command line is wrong (click's usage errors)
    SIGHUP = _BY_SIGNAL + signal.SIGHUP if hasattr(signal, "SIGHUP") else _BY_SIGNAL + 1
    SIGINT = _BY_SIGNAL + signal.SIGINT
    SIGTERM = _BY_SIGNAL + signal.SIGTERM

    @classmethod
    def for_signal(cls, signum: int) -> int:
        """The status of a command a signal stopped before its output was in place: 128 + the
        signal's number, as shells report it (an ExitCode for the signals taper catches)."""
        code = _BY_SIGNAL + int(signum)
        return cls(code) if code in cls._value2member_map_ else code
