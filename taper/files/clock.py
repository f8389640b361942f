"""The clock, read by the front ends only (the command line and the page), then passed in.

The library (``taper.api``) never reads the time: ``today`` (for "the course starts in the
past" and the default start) and ``stamp`` (when the outputs were made) are its arguments.
``SOURCE_DATE_EPOCH`` fixes both, for reproducible builds.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime

from taper.read.errors import TaperError

# SOURCE_DATE_EPOCH up to 9999-01-01: later, "tomorrow" and a course would run off the calendar.
_LATEST_EPOCH = 253370764800


def source_date_epoch() -> datetime | None:
    """The build time fixed by ``SOURCE_DATE_EPOCH`` (reproducible builds), if set.

    Empty or blank means unset; anything but ASCII digits (a sign, a fraction, an exponent,
    underscores) or a time after 9999-01-01 is an error.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not re.fullmatch(r"[0-9]{1,20}", text) or int(text) > _LATEST_EPOCH:
        raise TaperError(
            f"SOURCE_DATE_EPOCH={value!r} is not a whole number of seconds since 1970 "
            f"(0 to {_LATEST_EPOCH}); set it like SOURCE_DATE_EPOCH=1795305600, or unset it"
        )
    return datetime.fromtimestamp(int(text), UTC)


def build_stamp() -> datetime:
    """When the outputs were made: ``SOURCE_DATE_EPOCH`` or now, to the second."""
    return source_date_epoch() or datetime.now(UTC).replace(microsecond=0)


def today() -> date:
    """Today's date (this machine's), or the day of ``SOURCE_DATE_EPOCH``."""
    fixed = source_date_epoch()
    return fixed.date() if fixed is not None else date.today()
