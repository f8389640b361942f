"""taper: a corticosteroid course order turned into a dose plan, reminders and handouts."""

# First, before any zone is loaded: every zone comes from the tzdata package (see taper.zones).
from taper import zones as _zones  # noqa: F401

__version__ = "0.1.0"
