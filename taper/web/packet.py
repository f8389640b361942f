"""The packet as one reproducible zip: fixed entry order, fixed dates, fixed permissions."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime

_EARLIEST = datetime(1980, 1, 1, tzinfo=UTC)  # the zip format starts in 1980


def zip_files(files: Mapping[str, bytes], stamp: datetime) -> bytes:
    """A zip of ``files`` in their given order, every entry dated ``stamp`` (UTC) and 0600."""
    when = max(stamp.astimezone(UTC), _EARLIEST)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permission bits below are read
            info.external_attr = 0o100600 << 16
            archive.writestr(info, data, compresslevel=9)
    return buffer.getvalue()
