"""taper: a corticosteroid course order turned into a dose plan, reminders and handouts.

The library is ``taper.api`` (load → check → plan → render → packet); importing taper changes
nothing in the process (the zone search path is set when taper first needs a zone).
"""

__version__ = "0.1.0"
