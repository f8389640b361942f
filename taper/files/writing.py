"""Writing outputs safely.

Outputs are built in a hidden temporary beside the target, flushed to disk, and put in place
with one rename, so a kill at any instant leaves either the old output or the new one, never a
mix and never nothing. Only regular files and packet folders taper wrote are ever replaced, and
only with ``--force``; everything else at the target is refused with a message that names it.
"""

import contextlib
import errno
import functools
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from taper.files.reading import kind_of
from taper.files.signals import commit, held
from taper.read.errors import OutputError

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_FOLDER = 0o700

# -- what a packet is ------------------------------------------------------------------------
MANIFEST = ".taper-packet.json"
PACKET_FORMAT = "taper-packet/1"
# Packets written before the manifest existed hold exactly these five files. A fixed fact about
# old folders, not the packet's list (that is taper.files.packets.FILES): a file added there is
# named by the manifest of every packet written since.
LEGACY_PACKET = frozenset(
    {"plan.json", "reminders.ics", "patient.pdf", "pharmacist.pdf", "nurse.pdf"}
)

# Temporaries are named .taper-<pid>-<random>.tmp in the target's folder, whatever the target
# is called (so a long name cannot make them too long); a later run removes those of dead runs.
_TEMP_NAME = re.compile(r"^\.taper-(\d+)-[A-Za-z0-9_]+\.tmp$")
_STARTED = time.time()


def _temp_prefix() -> str:
    return f".taper-{os.getpid()}-"


# -- renames that cannot replace (or that swap) ----------------------------------------------

_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@functools.cache
def _libc_renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    text, number = ctypes.c_char_p, ctypes.c_int
    function.argtypes = [number, text, number, text, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def load_renames() -> None:
    """Load now what the first packet's rename would (ctypes and libc's renameat2): a print
    run's parent does it before forking its workers."""
    _libc_renameat2()


def _renameat2(source: Path, target: Path, flags: int) -> bool:
    """Linux renameat2(2). False when this system or file system cannot do it (fall back)."""
    function = _libc_renameat2()
    if function is None:
        return False
    import ctypes

    result = function(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), flags)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), os.fspath(target))


def _rename_no_replace(source: Path, target: Path, *, folder: bool) -> None:
    """Rename ``source`` to ``target``; FileExistsError if ``target`` exists (even if just
    made by another run)."""
    if _renameat2(source, target, _RENAME_NOREPLACE):
        return
    if folder:
        # mkdir is exclusive; renaming a folder over an empty folder is atomic in POSIX.
        os.mkdir(target, OWNER_ONLY_FOLDER)
        try:
            os.rename(source, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.rmdir(target)
            raise
    else:
        os.link(source, target)  # link never replaces
        os.unlink(source)


# -- what is at a path -----------------------------------------------------------------------


def _lstat(path: Path, shown: str) -> os.stat_result | None:
    """lstat, with None for nothing there and clear errors for paths that cannot be looked at."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise OutputError(_path_problem(shown, path, err)) from err


def _path_problem(shown: str, path: Path, err: OSError) -> str:
    if err.errno == errno.ENAMETOOLONG:
        return f"{shown}: the path is too long for this system; choose a shorter name or folder"
    if err.errno in (errno.EACCES, errno.EPERM):
        return (
            f"{shown}: cannot look inside {path.parent} (permission denied); "
            "check the folder's permissions or write somewhere else"
        )
    if err.errno == errno.ELOOP:
        return f"{shown}: too many symbolic links in the path"
    if err.errno == errno.ENOTDIR:
        return f"{shown}: a part of the path is not a folder"
    return f"{shown}: cannot be looked at ({err.strerror})"


def _check_parent(path: Path, shown: str) -> Path:
    parent = path.parent
    try:
        info = os.stat(parent)
    except FileNotFoundError:
        raise OutputError(f"{shown}: the folder {parent} does not exist; create it first") from None
    except NotADirectoryError:
        raise OutputError(f"{shown}: {_first_non_folder(parent)} is not a folder") from None
    except OSError as err:
        raise OutputError(_path_problem(shown, parent, err)) from err
    if not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{shown}: {parent} is not a folder")
    if not os.access(parent, os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        raise OutputError(
            f"{shown}: cannot enter the folder {parent} (permission denied); "
            "check its permissions or write somewhere else"
        )
    try:
        longest = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        longest = 255
    length = len(os.fsencode(path.name))
    if length > longest:
        raise OutputError(
            f"{shown}: the name is {length} bytes long; a name in {parent} can be at most "
            f"{longest} bytes. Choose a shorter name"
        )
    return parent


def _first_non_folder(path: Path) -> Path:
    for ancestor in reversed([path, *path.parents]):
        if ancestor.exists() and not ancestor.is_dir():
            return ancestor
    return path


def _symlink_problem(path: Path, shown: str) -> str:
    try:
        points = os.readlink(path)
    except OSError:
        points = "?"
    return (
        f"{shown} is a symbolic link (to {points}); taper does not write through or over "
        "links. Give the real path, or a new name"
    )


def _same_input(path: Path, info: os.stat_result, inputs: Mapping[str, Path], shown: str) -> None:
    """Refuse to write over an input of this same command (F5)."""
    for role, source in inputs.items():
        try:
            other = os.stat(source)
        except OSError:
            continue
        if (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
            raise OutputError(
                f"{shown} is {role} this command reads; write the output under another name"
            )
        if stat.S_ISDIR(info.st_mode):
            folder = os.path.realpath(path)
            if os.path.realpath(source).startswith(folder + os.sep):
                raise OutputError(
                    f"{shown} holds {role} this command reads ({source}); "
                    "write the packet into another folder"
                )


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the files themselves are synced
    finally:
        os.close(descriptor)


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (which must not exist), owner-only, and flush it to disk."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, OWNER_ONLY_FILE)
    with os.fdopen(descriptor, "wb") as stream:
        os.fchmod(stream.fileno(), OWNER_ONLY_FILE)
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


# -- stale temporaries (F28) -----------------------------------------------------------------


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def remove_stale_temporaries(folder: Path) -> list[str]:
    """Remove temporaries that killed runs of taper left in ``folder``: named by taper's own
    pattern, owned by this user, older than this run, and made by a process that is gone."""
    import shutil

    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMP_NAME.match(name)
        if match is None or _alive(int(match.group(1))):
            continue
        entry = folder / name
        try:
            info = os.lstat(entry)
        except OSError:
            continue
        if info.st_uid != os.geteuid() or info.st_mtime >= _STARTED:
            continue
        try:
            if stat.S_ISDIR(info.st_mode):
                shutil.rmtree(entry)
            elif stat.S_ISREG(info.st_mode):
                entry.unlink()
            else:
                continue
        except OSError:
            continue
        removed.append(name)
    return removed


def _temporary_folder(parent: Path, shown: str) -> Path:
    import tempfile

    made: Path | None = None
    try:
        with held():
            made = Path(tempfile.mkdtemp(dir=parent, prefix=_temp_prefix(), suffix=".tmp"))
            os.chmod(made, OWNER_ONLY_FOLDER)
    except BaseException as err:  # an OSError, or a signal held back above as the mask lifts
        if made is not None:
            import shutil

            shutil.rmtree(made, ignore_errors=True)
        if isinstance(err, OSError):
            raise OutputError(f"{shown}: cannot write in {parent} ({err.strerror})") from err
        raise
    return made


# -- single files ----------------------------------------------------------------------------


class _FileTarget(NamedTuple):
    path: Path
    parent: Path
    info: os.stat_result | None  # what was there when it was checked


def _examine_file(target: str, force: bool, inputs: Mapping[str, Path]) -> _FileTarget:
    path = Path(target)
    shown = target
    parent = _check_parent(path, shown)
    info = _lstat(path, shown)
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise OutputError(_symlink_problem(path, shown))
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{shown} is a folder; give a file name")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(
                f"{shown} is {kind_of(info.st_mode)}, not a regular file; taper writes only "
                "regular files (use -o - for standard output)"
            )
        _same_input(path, info, inputs, shown)
        if not force:
            raise OutputError(f"{shown} already exists; add --force to replace it")
    return _FileTarget(path, parent, info)


class OutputFile:
    """A file output, checked when the command starts (before the slow part) and written at
    the end; what appears at the path in between is never replaced."""

    def __init__(
        self, target: str, *, force: bool = False, inputs: Mapping[str, Path] | None = None
    ) -> None:
        self.target, self.force, self.inputs = target, force, dict(inputs or {})
        self.checked = None if target == "-" else _examine_file(target, force, self.inputs)

    def write(self, data: bytes) -> None:
        if self.checked is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        if self.checked.info is None and os.path.lexists(self.checked.path):
            raise OutputError(f"{self.target} appeared while building; use --force to replace it")
        now = _examine_file(self.target, self.force, self.inputs)
        _write_file(self.target, now, data)


def write_file(
    target: str, data: bytes, *, force: bool = False, inputs: Mapping[str, Path] | None = None
) -> None:
    """Write ``data`` to ``target`` (``-`` is standard output) through a temporary file.

    ``inputs`` names the files this command reads ({"the regimen": path}); the output may not
    be one of them.
    """
    OutputFile(target, force=force, inputs=inputs).write(data)


def _write_file(shown: str, checked: _FileTarget, data: bytes) -> None:
    import tempfile

    path, parent, info = checked
    remove_stale_temporaries(parent)
    try:
        with held():
            handle, name = tempfile.mkstemp(dir=parent, prefix=_temp_prefix(), suffix=".tmp")
            temporary = Path(name)
    except OSError as err:
        raise OutputError(f"{shown}: cannot write in {parent} ({err.strerror})") from err
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), OWNER_ONLY_FILE)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        with held():
            if info is None:
                _rename_no_replace(temporary, path, folder=False)
            else:
                now = _lstat(path, shown)
                if now is None or not stat.S_ISREG(now.st_mode):
                    raise OutputError(f"{shown} changed while writing; run the command again")
                os.replace(temporary, path)
            commit()
    except BaseException as err:
        temporary.unlink(missing_ok=True)
        if isinstance(err, FileExistsError):
            message = f"{shown} appeared while building; use --force to replace it"
            raise OutputError(message) from err
        if isinstance(err, OSError):
            raise OutputError(f"{shown}: cannot write ({err.strerror})") from err
        raise
    _fsync_folder(parent)


# -- packets (folders) -----------------------------------------------------------------------


class _Contents(NamedTuple):
    empty: bool
    packet: bool
    foreign: list[str]  # what taper did not write


def manifest_bytes(names: list[str]) -> bytes:
    """The manifest taper writes into every packet: a format tag and the packet's own files."""
    import json

    document = {"format": PACKET_FORMAT, "files": sorted(names)}
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def _listed_files(folder: Path) -> frozenset[str] | None:
    """The files a packet's manifest lists, or None if there is no valid manifest."""
    import json

    manifest = folder / MANIFEST
    try:
        info = os.lstat(manifest)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 65536:
            return None
        document = json.loads(manifest.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != PACKET_FORMAT:
        return None
    files = document.get("files")
    if not isinstance(files, list) or not all(
        isinstance(name, str) and name and "/" not in name and name not in (".", "..", MANIFEST)
        for name in files
    ):
        return None
    return frozenset(files)


def _contents(folder: Path) -> _Contents:
    names = sorted(os.listdir(folder))
    if not names:
        return _Contents(True, False, [])
    listed = _listed_files(folder)
    if listed is None:
        own = LEGACY_PACKET if set(names) == LEGACY_PACKET else frozenset()
    else:
        own = listed | {MANIFEST}
    foreign = []
    for name in names:
        try:
            regular = stat.S_ISREG(os.lstat(folder / name).st_mode)
        except OSError:
            regular = False
        if name not in own or not regular:
            foreign.append(name)
    return _Contents(False, not foreign, foreign)


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _backup_name(path: Path) -> Path:
    """Where the fallback swap keeps the previous packet (one per target name)."""
    import hashlib

    digest = hashlib.sha256(os.fsencode(path.name)).hexdigest()[:16]
    return path.parent / f".taper-old-{digest}"


def _recover(path: Path) -> str | None:
    """Finish a fallback swap that a kill cut short (systems without renameat2 only)."""
    backup = _backup_name(path)
    try:
        info = os.lstat(backup)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        return None
    if not os.path.lexists(path):
        os.rename(backup, path)
        return f"put back the packet {path} that an interrupted build had moved aside"
    _remove_packet(backup)
    return None


# What builds of taper before the manifest left when killed: `.NAME.XXXXXXXX.tmp` (a packet
# being written) and `.NAME.XXXXXXXX.old` (the previous packet, moved aside), NAME the target.
def _legacy_leftovers(path: Path) -> list[str]:
    """Tidy what killed builds of earlier versions left beside ``path``: put a previous packet
    back if nothing is at ``path``, remove the rest. Only folders owned by this user, older
    than this run, holding nothing but packet files."""
    import shutil

    pattern = re.compile(rf"^\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.(tmp|old)$")
    notes: list[str] = []
    try:
        names = sorted(os.listdir(path.parent))
    except OSError:
        return notes
    removed = 0
    for name in names:
        match = pattern.match(name)
        if match is None:
            continue
        entry = path.parent / name
        try:
            info = os.lstat(entry)
            inside = os.listdir(entry) if stat.S_ISDIR(info.st_mode) else None
            if (
                inside is None
                or info.st_uid != os.geteuid()
                or info.st_mtime >= _STARTED
                or not set(inside) <= LEGACY_PACKET
                or not all(stat.S_ISREG(os.lstat(entry / f).st_mode) for f in inside)
            ):
                continue
            if match.group(1) == "old" and inside and not os.path.lexists(path):
                os.rename(entry, path)
                notes.append(
                    f"put back the packet {path} that an interrupted build had moved aside"
                )
            else:
                shutil.rmtree(entry)
                removed += 1
        except OSError:
            continue
    if removed:
        notes.append(f"removed {removed} temporary folder(s) left by interrupted runs")
    return notes


def _remove_packet(folder: Path) -> list[str]:
    """Remove a packet's own files and the folder; leave (and return) anything else."""
    listed = _listed_files(folder)
    own = (listed | {MANIFEST}) if listed is not None else LEGACY_PACKET
    left = []
    for name in sorted(os.listdir(folder)):
        entry = folder / name
        if name in own and stat.S_ISREG(os.lstat(entry).st_mode):
            entry.unlink()
        else:
            left.append(name)
    if not left:
        folder.rmdir()
    return left


class _FolderTarget(NamedTuple):
    path: Path
    parent: Path
    info: os.stat_result | None  # what was there when it was checked
    replace: bool  # a previous packet, to swap out


def _examine_folder(
    target: str, force: bool, inputs: Mapping[str, Path], notes: list[str]
) -> _FolderTarget:
    shown = target
    try:
        here = os.getcwd()
    except OSError:
        here = ""
    if target in ("", ".", "..") or os.path.abspath(target) in (here, os.sep):
        raise OutputError(
            f"-o {target}: give the packet a folder of its own, such as -o jane; "
            "taper does not write over the current folder"
        )
    path = Path(os.path.abspath(target))
    parent = _check_parent(path, shown)
    with held():
        recovered = _recover(path)
        if recovered:
            notes.append(recovered)
        notes.extend(_legacy_leftovers(path))
    removed = remove_stale_temporaries(parent)
    if removed:
        notes.append(f"removed {len(removed)} temporary folder(s) left by interrupted runs")
    info = _lstat(path, shown)
    replace = False
    if info is not None:
        if stat.S_ISLNK(info.st_mode):
            raise OutputError(_symlink_problem(path, shown))
        if not stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{shown} exists and is not a folder")
        _same_input(path, info, inputs, shown)
        if os.path.ismount(path):
            raise OutputError(
                f"{shown} is a mount point; taper cannot put a packet in its place. "
                f"Write it into a folder inside, such as {os.path.join(target, 'jane')}"
            )
        try:
            contents = _contents(path)
        except OSError as err:
            raise OutputError(f"{shown}: cannot look inside ({err.strerror})") from err
        if contents.foreign:
            raise OutputError(
                f"{shown} holds files taper did not write ({_named(contents.foreign)}); "
                "--force replaces only a packet taper wrote. Choose a new folder, or move "
                "those files away first"
            )
        if contents.packet and not force:
            raise OutputError(f"{shown} already holds a packet; add --force to replace it")
        replace = contents.packet
    return _FolderTarget(path, parent, info, replace)


class OutputFolder:
    """A packet output, checked when the command starts (before the slow part) and written at
    the end; a folder that appears at the path in between is never replaced."""

    def __init__(
        self, target: str, *, force: bool = False, inputs: Mapping[str, Path] | None = None
    ) -> None:
        self.target, self.force, self.inputs = target, force, dict(inputs or {})
        self.notes: list[str] = []
        self.checked = _examine_folder(target, force, self.inputs, self.notes)

    def write(self, files: Mapping[str, bytes]) -> list[str]:
        """Write the packet; returns notes for the user (a packet put back, say)."""
        if self.checked.info is None and os.path.lexists(self.checked.path):
            raise OutputError(f"{self.target} appeared while building; use --force to replace it")
        now = _examine_folder(self.target, self.force, self.inputs, self.notes)
        return self.notes + _write_folder(self.target, now, files)


def write_folder(
    target: str,
    files: Mapping[str, bytes],
    *,
    force: bool = False,
    inputs: Mapping[str, Path] | None = None,
) -> list[str]:
    """Write a whole packet at once: built and synced beside the target, then put in place
    with one atomic rename (an exchange when it replaces a previous packet).

    Returns notes for the user (a packet put back after an interrupted run, say).
    """
    return OutputFolder(target, force=force, inputs=inputs).write(files)


def _write_folder(shown: str, checked: _FolderTarget, files: Mapping[str, bytes]) -> list[str]:
    import shutil

    path, parent, info, replace = checked
    staging: Path | None = None
    swapped = False
    try:
        staging = _temporary_folder(parent, shown)  # inside: a signal right after it cleans up
        for name, data in files.items():
            _write_new(staging / name, data)
        _write_new(staging / MANIFEST, manifest_bytes(list(files)))
        _fsync_folder(staging)
        with held():
            if not replace:
                if info is None:
                    _rename_no_replace(staging, path, folder=True)
                else:
                    os.rename(staging, path)  # over an empty folder only: atomic in POSIX
                commit()
            elif _renameat2(staging, path, _RENAME_EXCHANGE):
                swapped = True
                commit()
            else:
                backup = _backup_name(path)
                os.rename(path, backup)
                try:
                    os.rename(staging, path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.rename(backup, path)
                    raise
                commit()
                try:
                    os.rename(backup, staging)
                    swapped = True
                except OSError:  # another run tidied it first; the new packet is in place
                    return []
        _fsync_folder(parent)
    except BaseException as err:
        if not swapped and staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, (FileExistsError, OSError)) and err.errno in (
            errno.EEXIST,
            errno.ENOTEMPTY,
        ):
            raise OutputError(
                f"{shown} appeared while building; use --force to replace it"
            ) from err
        if isinstance(err, OSError):
            if err.errno in (errno.EXDEV, errno.EBUSY):
                raise OutputError(
                    f"{shown}: cannot be replaced ({err.strerror}); is it a mount point? "
                    "Write the packet into a folder inside it"
                ) from err
            raise OutputError(f"{shown}: cannot write ({err.strerror})") from err
        raise
    if swapped:
        return _retire_previous(staging, path)
    return []


def _retire_previous(staging: Path, path: Path) -> list[str]:
    """The previous packet, swapped out to the temporary name ``staging``: remove its own
    files only; returns a note when something else was in it."""
    try:
        left = _remove_packet(staging)
    except OSError:
        left = ["?"]
    if not left:
        return []
    # Files someone put into the previous packet while this one was built: never deleted, and
    # moved out of the temporaries' pattern so no later run removes them.
    kept = path.with_name(path.name + ".previous")
    with contextlib.suppress(OSError):
        _rename_no_replace(staging, kept, folder=True)
        staging = kept
    return [
        f"kept the previous packet at {staging}: files appeared in it while "
        f"building ({_named(left)})"
    ]
