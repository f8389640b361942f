"""The page's own words and names: where a problem is in the form's words, what a screen reader
hears after an edit, what a download is called, how the templates are offered, and template
messages without command-line flags. No dosing here."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from datetime import date
from typing import Any

from taper.read.templates import TemplateInfo
from taper.records.plan import Plan
from taper.web.tomltext import key_text, value_text

# The template the picker shows first: a whole course that needs no weight.
DEFAULT_TEMPLATE = "ms-iv-pulse-then-prednisone-taper"
# The patient's own facts, kept when another template is chosen (the conditions are the
# template's: they name what the course is for).
KEPT_PATIENT_KEYS = ("name", "weight", "height", "language")
_LISTS = {
    "phase": "Phase",
    "steps": "step",
    "also": "Alongside item",
    "watch": "Watch item",
    "at": "time",
    "tablets": "tablet strength",
}
_TABLES = {"patient": "Patient", "care_team": "Care team", "taper": "taper", "routine": "routine"}
_GROUPS = (  # by the file name's start; the last takes the rest
    ("ms-", "Multiple sclerosis relapse"),
    ("label-", "A drug label's own regimen"),
    ("", "Other courses"),
)
_FLAGS = {
    "--weight": "the Weight field",
    "--height": "the Height field",
    "--timezone": "the Time zone field",
}


def spoken_place(place: str) -> str:
    """A problem's place in the form's words: ``phase[2].steps[1].dose`` → "Phase 2, step 1,
    dose"; ``care_team.after_hours`` → "Care team, after hours"."""
    words = []
    for part in place.split("."):
        listed = re.fullmatch(r"([A-Za-z_]+)\[(\d+)\]", part)
        if listed:
            words.append(f"{_LISTS.get(listed[1], listed[1].replace('_', ' '))} {listed[2]}")
        else:
            words.append(_TABLES.get(part, part.replace("_", " ")))
    spoken = ", ".join(words)
    return spoken[:1].upper() + spoken[1:]


def download_name(plan: Plan | None, file: str) -> str:
    """A download's name from the patient and the start date, in safe characters (letters,
    digits, hyphens), so a shared computer's Downloads do not fill with look-alike files:
    ``Jane-Doe_2026-12-08_patient.pdf``. Without a name: ``taper_2026-12-08_patient.pdf``."""
    if plan is None:
        return f"taper_{file}"
    name = plan.patient.name or ""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem = "-".join(re.findall(r"[A-Za-z0-9]+", ascii_name))[:40].strip("-") or "taper"
    return f"{stem}_{plan.start.isoformat()}_{file}"


def page_words(message: str) -> str:
    """A message written for the command line, with its flags named as the page's fields."""
    message = message.replace(
        "give the course's zone with --timezone, such as --timezone America/New_York",
        "type the course's zone in the Time zone field, such as America/New_York",
    )
    for flag, field in _FLAGS.items():
        message = re.sub(rf'{flag}( "[^"]*"| [A-Z][A-Za-z_]+/[A-Za-z_/]+)?', field, message)
    return message.replace("taper templates describes them", "the picker lists them")


def template_groups(infos: list[TemplateInfo]) -> list[tuple[str, list[dict[str, str]]]]:
    """The templates in groups by what they are for, each offered by its title (its
    description, less the group's own words): never by file name."""
    by_group: dict[str, list[dict[str, str]]] = {group: [] for _, group in _GROUPS}
    for info in infos:
        group = next(group for prefix, group in _GROUPS if info.name.startswith(prefix))
        title = info.description or info.name
        if group == _GROUPS[0][1]:
            title = title.removeprefix("MS relapse: ")
        by_group[group].append({"name": info.name, "title": title})
    return [
        (group, sorted(items, key=lambda item: item["title"]))
        for group, items in by_group.items()
        if items
    ]


def _patient(doc: dict[str, Any] | None) -> dict[str, Any]:
    patient = doc.get("patient") if doc is not None else None
    return patient if isinstance(patient, dict) else {}


def template_for_page(
    name: str, *, start: date, timezone: str | None, old: dict[str, Any] | None
) -> str:
    """Template ``name`` for the page: the patient's name, weight, height and language carried
    over from the form. A per-kg (or per-m²) template without a weight (or height) still loads,
    with the field empty, so the form asks for it at its place."""
    from taper.read.templates import TemplateError, render_template

    kept = {
        key: value
        for key, value in _patient(old).items()
        if key in KEPT_PATIENT_KEYS and isinstance(value, str) and value.strip()
    }
    weight, height = kept.get("weight"), kept.get("height")
    stand_ins = {}
    for _ in range(3):  # at most: the weight, then the height, is missing
        try:
            text = render_template(
                name, start=start, weight=weight, height=height, timezone=timezone
            )
            break
        except TemplateError as err:
            if weight is None and "--weight" in str(err):
                weight = stand_ins["weight"] = "70 kg"
            elif height is None and "--height" in str(err):
                height = stand_ins["height"] = "170 cm"
            else:
                raise
    else:  # pragma: no cover - three tries cover the two stand-ins
        raise TemplateError(f'template "{name}" could not be filled')
    for key, value in stand_ins.items():
        text = text.replace(
            f'{key} = "{value}"', f'{key} = ""   # the patient\'s {key}: type it in the form', 1
        )
    lines = text.splitlines(keepends=True)
    if "[patient]\n" in lines:
        at = lines.index("[patient]\n") + 1
        present = _patient(tomllib.loads(text))
        for key in ("name", "language"):
            if key in kept and key not in present:
                lines.insert(at, f"{key_text(key)} = {value_text(kept[key])}\n")
        text = "".join(lines)
    return text


def missing_weight(doc: dict[str, Any]) -> bool:
    return _patient(doc).get("weight") == ""


def announcement(action: str) -> str:
    """What a screen reader hears after a structural edit (the form is redrawn silently)."""
    verb, _, rest = action.partition(":")
    numbers = [int(n) for n in rest.split(":") if n.isascii() and n.isdigit()]
    said = {
        "phase-add": "Phase added at the end.",
        "also-add": "Item added at the end.",
        "watch-add": "Watch item added at the end.",
    }
    if verb in said:
        return said[verb]
    if len(numbers) == 1:
        n = numbers[0]
        return {
            "phase-remove": f"Phase {n} removed.",
            "phase-up": f"Phase {n} moved up: it is now phase {n - 1}.",
            "phase-down": f"Phase {n} moved down: it is now phase {n + 1}.",
            "also-remove": f"Item {n} removed.",
            "watch-remove": f"Watch item {n} removed.",
            "step-add": f"Step added to phase {n}.",
            "form": f"Phase {n} is dosed another way now; its doses were cleared.",
        }.get(verb, "")
    if len(numbers) == 2:
        n, m = numbers
        return {
            "step-remove": f"Step {m} of phase {n} removed.",
            "step-up": f"Step {m} of phase {n} moved up: it is now step {m - 1}.",
            "step-down": f"Step {m} of phase {n} moved down: it is now step {m + 1}.",
        }.get(verb, "")
    return ""
