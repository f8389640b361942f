"""The words of the FHIR export and import: a Dosage's text, the phase note, the comments an
imported regimen opens with. The pharmacist's and the patient's sentences themselves come from
``sigs``, ``doses`` and ``amounts``; these only put them together."""

from __future__ import annotations


def dosage_text(sig: str, basis: str | None) -> str:
    """A Dosage's ``text``: the step's label directions, and how a per-weight dose was worked
    out (``2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg``) so that no receiver redoes it."""
    text = sig if sig.endswith(".") else f"{sig}."
    return f"{text} Dose worked out as {basis}." if basis else text


def phase_note(name: str) -> str:
    """``note[0].text`` of a phase's request: ``Phase: Taper``."""
    return f"Phase: {name}"


def imported_header(source: str) -> str:
    """The first comment of an imported regimen."""
    return f"imported from {source}: check every dose before use"


def imported_text(place: str, text: str) -> str:
    """A piece of the order's free text, kept as a comment with where it came from."""
    return f"{place}: {text}"


def time_not_in_order(place: str, slots: str) -> str:
    """A dose whose order gives no time of day: it lands at routine slots the nurse confirms."""
    return f"{place}: time not in the order: confirm ({slots} assumed)"


def worked_out_comment(place: str, basis: str) -> str:
    """A per-weight dose that came in already worked out (taper's own export)."""
    return f"{place}: per-weight dose, exported worked out: {basis}"


def imported_phase_name(drug_name: str, number: int) -> str:
    """A phase name when the order has none (``note`` ``Phase: NAME``): ``Prednisone 2``."""
    return drug_name if number == 1 else f"{drug_name} {number}"
