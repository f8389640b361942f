"""The regimen's keys, declared once (filled in below)."""

from __future__ import annotations

#: The languages a patient's handout and reminders can be written in ([patient] language).
LANGUAGES = ("en",)
DEFAULT_LANGUAGE = "en"
