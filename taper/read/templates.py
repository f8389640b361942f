"""The shipped regimen templates: editable starting points, each naming its sources.

A template is a regimen file (``templates/NAME.toml``) whose opening comment block carries its
metadata as ``# description: ...`` and ``# source: ...`` lines, then what the prescriber must
confirm. Placeholders filled by ``render_template``: ``{{start}}`` (the first day),
``{{timezone}}``, ``{{weight}}`` and ``{{height}}`` (the whole ``weight = "..."`` or
``height = "..."`` line, left as a comment when not given). A template with a per-kg dose needs
the weight; one with a per-m² dose the weight and the height.

In an installed wheel the templates sit inside the package (``taper/data/templates``, through the
hatch ``force-include``); in a source checkout they are the repository's ``templates/`` folder.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from datetime import date
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from taper.read.errors import TaperError
from taper.read.units import parse_height, parse_weight

_PER_KG = ("mg/kg", "g/kg")
_PER_M2 = ("/m2", "/m²")


class TemplateError(TaperError):
    """Raised when a template is unknown or cannot be filled (for example a missing weight)."""


@dataclass(frozen=True)
class TemplateInfo:
    """A template's name (its file name without ``.toml``), one-line description and source."""

    name: str
    description: str
    source: str


def _folder() -> Traversable:
    packaged = resources.files("taper") / "data" / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def _files() -> dict[str, Traversable]:
    folder = _folder()
    if not folder.is_dir():
        return {}
    return {
        entry.name.removesuffix(".toml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".toml") and entry.is_file()
    }


def _header(text: str) -> dict[str, str]:
    """The ``# key: value`` lines of the opening comment block."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, colon, value = line.lstrip("# ").partition(":")
        if colon and key.strip() in ("description", "source", "confidence") and value.strip():
            fields.setdefault(key.strip(), value.strip())
    return fields


def list_templates() -> list[TemplateInfo]:
    """Every shipped template, sorted by name."""
    infos = []
    for name, entry in sorted(_files().items()):
        header = _header(entry.read_text(encoding="utf-8"))
        infos.append(
            TemplateInfo(
                name=name,
                description=header.get("description", ""),
                source=header.get("source", ""),
            )
        )
    return infos


def needs_weight(text: str) -> bool:
    """Whether a template gives a per-kg dose (outside comments)."""
    return any(unit in line.split("#", 1)[0] for line in text.splitlines() for unit in _PER_KG)


def needs_height(text: str) -> bool:
    """Whether a template gives a per-m² dose (outside comments): it needs height and weight."""
    return any(unit in line.split("#", 1)[0] for line in text.splitlines() for unit in _PER_M2)


def machine_timezone() -> str | None:
    """This machine's zone when it names a place (or is UTC), else None
    (:func:`machine_timezone_reason` says why)."""
    return _machine_zone()[0]


def machine_timezone_reason() -> str:
    """Why this machine's zone cannot be a course's zone ("" when it can)."""
    return _machine_zone()[1]


def _machine_zone() -> tuple[str | None, str]:
    """This machine's zone, from ``TZ`` when it is set, otherwise from the system's settings.

    A ``TZ`` that is a POSIX rule (``EST5EDT,M3.2.0,M11.1.0``, as in many hospital images) or a
    fixed offset names no place: guessing one (or falling back to UTC) would put reminders an
    hour off, so the zone is left for the nurse to give.
    """
    from pendulum.tz import local_timezone

    from taper.read.zones import is_zone, place_problem, use_bundled_zones

    use_bundled_zones()  # before pendulum looks up the host's zone: from tzdata, like the rest

    variable = os.environ.get("TZ", "").strip()
    if variable:
        name = variable.removeprefix(":")
        name = name.partition("zoneinfo/")[2] or name
        source = f'this machine\'s zone (TZ="{variable}")'
    else:
        try:
            name = str(local_timezone().name)
        except Exception:  # pendulum raises several kinds when the zone cannot be read
            name = ""
        if not is_zone(name):
            link = Path("/etc/localtime")
            target = str(link.resolve()) if link.is_symlink() else ""
            name = target.partition("zoneinfo/")[2]
        source = f'this machine\'s zone ("{name}")' if name else "this machine's zone"
    if not is_zone(name):
        return None, f"{source} is not a zone taper can name as a place"
    problem = place_problem(name)
    if problem is not None:
        return None, f"{source} is not a place: {problem}"
    return name, ""


def render_template(
    name: str,
    *,
    start: date,
    weight: str | None,
    timezone: str | None,
    height: str | None = None,
) -> str:
    """The text of template ``name`` with its placeholders filled, ready to edit and check."""
    from taper.read.zones import is_zone, place_problem

    files = _files()
    entry = files.get(name.removesuffix(".toml"))
    if entry is None:
        close = difflib.get_close_matches(name, list(files), n=1, cutoff=0.5)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise TemplateError(
            f'unknown template "{name}"{hint} (templates: {", ".join(sorted(files))}; '
            "taper templates describes them)"
        )
    text = entry.read_text(encoding="utf-8")
    if weight is not None:
        try:
            parse_weight(weight)
        except ValueError as err:
            raise TemplateError(f"--weight: {err}") from err
        weight_line = f'weight = "{weight.strip()}"'
    elif needs_weight(text):
        raise TemplateError(
            f'template "{name}" doses per kg of body weight; pass the patient\'s weight '
            'with --weight, such as --weight "70 kg"'
        )
    elif needs_height(text):
        raise TemplateError(
            f'template "{name}" doses per m² of body surface area; pass the patient\'s weight '
            'and height with --weight and --height, such as --weight "22 kg" --height "120 cm"'
        )
    else:
        weight_line = '# weight = "70 kg"   # needed only by per-kg doses'
    height_line = _height_line(name, text, height)
    zone = timezone if timezone is not None else machine_timezone()
    if zone is None:
        raise TemplateError(
            f"{machine_timezone_reason()}; give the course's zone with --timezone, such as "
            "--timezone America/New_York"
        )
    if not is_zone(zone):
        raise TemplateError(
            f'unknown time zone "{zone}"; use an IANA name such as "America/New_York"'
        )
    problem = place_problem(zone)
    if problem is not None:
        raise TemplateError(f"time zone {problem}")
    return (
        text.replace("{{start}}", start.isoformat())
        .replace("{{timezone}}", zone)
        .replace("{{weight}}", weight_line)
        .replace("{{height}}", height_line)
    )


def _height_line(name: str, text: str, height: str | None) -> str:
    if height is not None:
        try:
            parse_height(height)
        except ValueError as err:
            raise TemplateError(f"--height: {err}") from err
        return f'height = "{height.strip()}"'
    if needs_height(text):
        raise TemplateError(
            f'template "{name}" doses per m² of body surface area; pass the patient\'s height '
            'with --height, such as --height "120 cm"'
        )
    return '# height = "120 cm"   # needed only by per-m² doses'


def template_notes(name: str) -> str:
    """What the template's opening comment says beyond its metadata: what the prescriber confirms.

    The comment's text without the ``# description/source/confidence:`` lines, joined into one
    paragraph (empty for an unknown template).
    """
    entry = _files().get(name.removesuffix(".toml"))
    if entry is None:
        return ""
    lines = []
    for line in entry.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, colon, _ = line.lstrip("# ").partition(":")
        if colon and key.strip() in ("description", "source", "confidence"):
            continue
        lines.append(line.lstrip("#").strip())
    return " ".join(part for part in lines if part)
