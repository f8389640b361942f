"""A course's identity: what makes two plans (and two calendars) the same course.

The calendar's UIDs and ``plan.json``'s ``course`` are both made from it, so ``taper ics
--previous`` and ``taper build --previous`` accept and refuse the same files. A course is its
patient, its title and its first day; or, when the regimen names it (``course = "..."``, kept
across revisions), its patient and that name, so that a course moved to a new first day or
retitled is still the same course (DECISIONS 16).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

UID_DOMAIN = "taper"


def course_key(patient: str | None, title: str, start: date, course: str | None) -> tuple[str, ...]:
    if course is not None:
        # A marker no title-based key has in second place ("" patient, title, ISO date has a
        # date third): the two kinds of key never collide.
        return (patient or "", "\x1ecourse", course)
    return (patient or "", title, start.isoformat())


def hash_uid(kind: str, key: Iterable[object]) -> str:
    # Fields are joined with a separator that cannot appear in TOML strings unescaped, so
    # ("a b", "c") and ("a", "b c") differ; the patient's name never appears in the file.
    text = "\x1f".join(str(part) for part in (kind, *key))
    return f"{kind}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]}@{UID_DOMAIN}"


def course_uid(patient: str | None, title: str, start: date, course: str | None) -> str:
    """The course's identity: the calendar's own UID and ``plan.json``'s ``course.uid``."""
    return hash_uid("course", course_key(patient, title, start, course))
