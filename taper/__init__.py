"""taper: a corticosteroid course order turned into a dose plan, reminders and handouts."""

__version__ = "0.1.0"
