"""The one error hierarchy of taper; the CLI turns these into messages in one place."""

from __future__ import annotations

from typing import NamedTuple


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
