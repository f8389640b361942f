"""Writing outputs safely: atomic, owner-only, never over an existing file without --force."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from taper.errors import OutputError

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700


def _parent(path: Path) -> Path:
    parent = path.parent
    if not parent.exists():
        raise OutputError(f"{path}: the folder {parent} does not exist; create it first")
    if not parent.is_dir():
        raise OutputError(f"{path}: {parent} is not a folder")
    return parent


def write_file(target: str, data: bytes, *, force: bool = False) -> None:
    """Write ``data`` to ``target`` (``-`` is standard output) through a temporary file."""
    if target == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    path = Path(target)
    parent = _parent(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    if path.exists() and not force:
        raise OutputError(f"{path} already exists; add --force to replace it")
    try:
        handle, temporary = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise OutputError(f"{path}: cannot write in {parent} ({err.strerror})") from err
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), OWNER_ONLY_FILE)
            stream.write(data)
        os.replace(temporary, path)
    except BaseException as err:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OutputError(f"{path}: cannot write ({err.strerror})") from err
        raise


def write_folder(target: str, files: Mapping[str, bytes], *, force: bool = False) -> None:
    """Write a whole folder at once: built beside the target, then renamed into place."""
    path = Path(target)
    parent = _parent(path.resolve() if not path.is_absolute() else path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputError(f"{path} is not empty; add --force to replace what is in it")
    try:
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp"))
    except OSError as err:
        raise OutputError(f"{path}: cannot write in {parent} ({err.strerror})") from err
    old: Path | None = None
    try:
        os.chmod(staging, OWNER_ONLY_FOLDER)
        for name, data in files.items():
            file = staging / name
            descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(data)
        if path.exists():
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{path.name}.", suffix=".old"))
            old.rmdir()
            os.rename(path, old)
        os.rename(staging, path)
    except BaseException as err:
        if old is not None and old.exists() and not path.exists():
            os.rename(old, path)
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, OSError):
            raise OutputError(f"{path}: cannot write ({err.strerror})") from err
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
