"""Hypothesis strategies for regimen documents, shared by the property and fuzz tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "America/Los_Angeles",
]
# Times that meet daylight-saving changes somewhere: 02:30 falls in spring gaps, 01:30 repeats.
TIMES = ["01:30", "02:00", "02:30", "03:00", "07:00", "08:00", "12:30", "21:30"]
STRENGTH_SETS = [
    ["20 mg", "10 mg", "5 mg"],
    ["50 mg", "20 mg", "10 mg", "5 mg", "1 mg"],
    ["5 mg"],
    ["2.5 mg", "1 mg"],
    ["10 mg", "2.5 mg"],
]


@st.composite
def phases(draw: st.DrawFn) -> dict[str, Any]:
    form = draw(st.sampled_from(["dose", "steps", "taper", "percent"]))
    strengths = draw(st.sampled_from(STRENGTH_SETS))
    at = draw(st.lists(st.sampled_from(TIMES), min_size=1, max_size=2, unique=True))
    phase: dict[str, Any] = {
        "drug": "prednisone",
        "tablets": strengths,
        "at": at,
        "split": draw(st.booleans()),
    }
    smallest = 1 if "1 mg" in strengths else 5 if "5 mg" in strengths else 10
    amounts = st.integers(1, 12).map(lambda k: f"{k * smallest} mg")
    if form == "dose":
        phase |= {
            "dose": draw(amounts),
            "days": draw(st.integers(1, 10)),
            "every": draw(st.integers(1, 3)),
        }
        phase["every"] = min(phase["every"], phase["days"])
    elif form == "steps":
        phase["steps"] = [
            {"dose": draw(amounts), "days": draw(st.integers(1, 5))}
            for _ in range(draw(st.integers(1, 4)))
        ]
    else:
        low, high = sorted(draw(st.lists(st.integers(1, 12), min_size=2, max_size=2)))
        taper = {
            "from": f"{high * smallest} mg",
            "to": f"{low * smallest} mg",
            "every": draw(st.integers(1, 3)),
        }
        taper["by"] = (
            f"{draw(st.sampled_from([10, 20, 25, 50]))}%"
            if form == "percent"
            else f"{draw(st.integers(1, 3)) * smallest} mg"
        )
        phase["taper"] = taper
    return phase


@st.composite
def regimens(draw: st.DrawFn) -> dict[str, Any]:
    start = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 3 * 365)))
    document: dict[str, Any] = {
        "start": start,
        "timezone": draw(st.sampled_from(ZONES)),
        "phase": draw(st.lists(phases(), min_size=1, max_size=3)),
        # Each course stops on its last day, as printed before the after key (test_after.py).
        "after": "stop",
    }
    for number, phase in enumerate(document["phase"], 1):
        phase["name"] = f"Phase {number}"
    return document
