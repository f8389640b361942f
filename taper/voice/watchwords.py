"""The values the watch list's sentences take from the plan, in the patient's conventions,
and the filling-in of those sentences (``data/watch.toml`` holds the sentences themselves)."""

from __future__ import annotations

import re

from taper.plan import Plan
from taper.voice.conventions import mg_dl_first
from taper.voice.text import and_list
from taper.voice.times import clock, time_style

# "12 mmol/L (216 mg/dL)" in a sentence, to put mg/dL first for a United States patient.
_SUGAR = re.compile(r"(\d+(?:\.\d+)?) mmol/L \((\d+(?:\.\d+)?) mg/dL\)")


def watch_values(plan: Plan, dose_times: list[str]) -> dict[str, str]:
    """``{dose_times}``, ``{lunch}`` and ``{supper}`` for the sentences, in the plan's clock."""
    style = time_style(plan)
    routine = dict(plan.routine)
    return {
        "dose_times": and_list([clock(t, style) for t in sorted(dose_times)]),
        "lunch": clock(routine.get("lunch", "12:30"), style),
        "supper": clock(routine.get("supper", "18:00"), style),
        "units": "mg/dL" if mg_dl_first(plan) else "mmol/L",
    }


def watch_sentence(text: str, values: dict[str, str]) -> str:
    """A watch-list sentence with the plan's values filled in and, for a United States
    patient, blood sugar in mg/dL first."""
    filled = text.format_map(values)
    if values.get("units") == "mg/dL":
        filled = _SUGAR.sub(r"\2 mg/dL (\1 mmol/L)", filled)
    return filled
