"""One instant's clock time, named so it cannot be read as another (issue 18, item 5).

On the night the clocks go back, a wall-clock time such as 01:00 happens twice; taper's own
convention reads a plain time as the first. A time in that hour is printed with the pass it
names. Read floor: the engine's warnings (staff text) and the voice's patient times both use it.
"""

from __future__ import annotations

from datetime import datetime

#: A time the clocks show twice that night (they go back), named as the first or the second.
REPEATED_FIRST = "{time} (before the clocks go back)"
REPEATED_SECOND = "{time} (after the clocks go back)"


def named_pass(when: datetime, text: str) -> str:
    """``text`` (``when``'s clock time, in any style) with the pass it names on the night the
    clocks show it twice; ``text`` unchanged on every other night."""
    other = when.replace(fold=1 - when.fold)
    if other.utcoffset() == when.utcoffset():
        return text
    # fold 1 is the later of the two (PEP 495), whichever way a zone's offsets are named.
    return (REPEATED_SECOND if when.fold else REPEATED_FIRST).format(time=text)


def moment(when: datetime) -> str:
    """The staff sheets' ``HH:MM`` of the planned instant ``when``, naming one instant: its own
    wall-clock time, so a time the clocks skip is never printed."""
    return named_pass(when, when.strftime("%H:%M"))
