"""Reading inputs: the regimen and ``--previous``, from regular files only and at most their limit.

A FIFO, a device or a runaway file cannot hang taper or fill its memory. This is the one reader
of input files; the size limits the README quotes are here.
"""

import errno
import os
import stat
from pathlib import Path
from typing import NamedTuple

from taper.read.errors import InputFileError
from taper.read.regimen import MAX_REGIMEN_BYTES

# -- limits on what taper reads (the README quotes these) -----------------------------------
REGIMEN_LIMIT = MAX_REGIMEN_BYTES  # bytes: the one limit, the reader's (web bodies too)
PREVIOUS_LIMIT = 16 * 1024 * 1024  # bytes; a year of reminders is well under 1 MB
# A packet's plan.json of the longest course is a few MB; a bigger file is not one.
PREVIOUS_PLAN_LIMIT = 64 * 1024 * 1024


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a device (character special file)"
    if stat.S_ISBLK(mode):
        return "a device (block special file)"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a special file"


def _read_limited(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = os.read(descriptor, min(65536, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


class InputSpec(NamedTuple):
    what: str  # "the regimen file (.toml)"
    limit: int
    too_big: str | None  # said after "is N MB; " (None: the caller judges the size)


# The reader (taper.read.regimen) words a regimen that is too big itself.
REGIMEN = InputSpec("the regimen file (.toml)", REGIMEN_LIMIT, None)
PREVIOUS = InputSpec(
    "the calendar file (.ics)",
    PREVIOUS_LIMIT,
    f"a calendar file taper wrote is under {PREVIOUS_LIMIT // (1024 * 1024)} MB",
)


PREVIOUS_PLAN = InputSpec(
    "the previous packet's plan.json",
    PREVIOUS_PLAN_LIMIT,
    "larger than any plan.json taper writes; is it the right file?",
)


def read_previous_plan(path: Path) -> bytes:
    """A previous packet's plan.json, for taper.previous.read_previous (``read=``)."""
    return read_input(path, PREVIOUS_PLAN)


def read_input(path: Path, spec: InputSpec) -> bytes:
    """Read an input file: a regular file only (never a FIFO or a device), at most
    ``spec.limit + 1`` bytes. Raises InputFileError with what is wrong (without the name)."""
    try:
        info = os.stat(path)  # stat first: opening a device can have side effects
    except FileNotFoundError:
        raise InputFileError("no such file; check the name and the folder") from None
    except OSError as err:
        raise InputFileError(_input_problem(err)) from err
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"is a folder; give {spec.what} inside it")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(
            f"is {kind_of(info.st_mode)}, not a regular file; give {spec.what} itself"
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise InputFileError(_input_problem(err)) from err
    try:
        info = os.fstat(descriptor)  # the file opened may not be the one looked at
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(
                f"is {kind_of(info.st_mode)}, not a regular file; give {spec.what} itself"
            )
        if info.st_size > spec.limit and spec.too_big is not None:
            raise InputFileError(f"is {info.st_size / 1e6:.1f} MB; {spec.too_big}")
        data = _read_limited(descriptor, spec.limit)
    except OSError as err:
        raise InputFileError(_input_problem(err)) from err
    finally:
        os.close(descriptor)
    if len(data) > spec.limit and spec.too_big is not None:
        raise InputFileError(f"is over {spec.limit / 1e6:.1f} MB; {spec.too_big}")
    return data


def _input_problem(err: OSError) -> str:
    if err.errno == errno.ENAMETOOLONG:
        return "the name is too long for this system; check the name"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied); check its permissions"
    if err.errno == errno.ENOTDIR:
        return "a part of the path is not a folder; check the name"
    if err.errno == errno.ELOOP:
        return "too many symbolic links in the path"
    return f"cannot be read ({err.strerror})"
