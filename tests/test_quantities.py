"""Every printed quantity is rounded for a person, in one place (taper.read.quantities), while
the plan keeps its exact numbers (issue 18, item 7)."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest

from taper.api import load as load_plan
from taper.export.json import render_json
from taper.export.pdf import render_pdf
from taper.export.table import render_table
from taper.read.quantities import PRECISION, number_text, quantity_text

ROOT = Path(__file__).parent.parent
TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)

# 32 mg dexamethasone a day for 7 days: 224 mg, prednisone equivalent 224 × 5 / 0.75 =
# 1493.333... mg, which printed with 28 digits before.
DEXAMETHASONE = """
title = "Dexamethasone 32 mg daily"
start = 2027-01-04
timezone = "America/New_York"

[patient]
name = "Test Patient"

[care_team]
clinic = "Clinic"
phone = "212-555-0100"

[[phase]]
name = "Daily"
drug = "dexamethasone"
tablets = ["4 mg"]
dose = "32 mg"
days = 7
at = ["breakfast"]
"""

# A number with five or more decimals is never rounded for a person.
LONG_NUMBER = re.compile(r"\d\.\d{5,}")


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages).replace("\u00a0", " ")


def test_a_prednisone_equivalent_prints_rounded(write_regimen) -> None:  # type: ignore[no-untyped-def]
    plan = load_plan(write_regimen(DEXAMETHASONE), today=TODAY)
    (total,) = plan.totals
    assert total.prednisone_equivalent_mg == Decimal(224) * 5 / Decimal("0.75")  # exact in plan
    table = render_table(plan)
    assert "prednisone equivalent: about 1493.3 mg" in table
    assert not LONG_NUMBER.search(table), LONG_NUMBER.search(table)
    sheet = pdf_text(render_pdf(plan, "pharmacist", stamp=STAMP))
    assert "about 1493.3 mg" in " ".join(sheet.split())
    assert not LONG_NUMBER.search(sheet)
    (written,) = json.loads(render_json(plan))["totals"]
    assert written["prednisone_equivalent_mg"] == 1493.333  # plan.json: to 0.001 mg


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        ("1066.666666666666666666666667", "mg-equivalent", "1066.7 mg"),
        ("3.3333333", "mg-equivalent", "3.3 mg"),
        ("0.375", "mg", "0.375 mg"),  # ½ × 0.75 mg: a dose prints exactly
        ("0.0625", "mg", "0.0625 mg"),  # the format's finest amount prints as typed
        ("1.714285714", "mg", "1.7143 mg"),  # a share of a daily cap
        ("60.000", "mg", "60 mg"),
        ("1000", "mg", "1000 mg"),
        ("2.5", "mg/m2", "2.5 mg/m²"),
        ("0.4", "g/kg", "0.4 g/kg"),
        ("80", "units", "80 units"),
        ("7.505", "mL", "7.51 mL"),  # half up, as a person rounds
        ("2.3333", "mL-exact", "2.333 mL"),
        ("34.94", "kg", "34.9 kg"),
        ("0.8", "m2", "0.80 m²"),
        ("1.234", "m2", "1.23 m²"),
        ("152.44", "cm", "152.4 cm"),
    ],
)
def test_each_kind_prints_to_its_precision(value: str, kind: str, text: str) -> None:
    assert quantity_text(Decimal(value), kind) == text


def test_numbers_never_print_an_exponent() -> None:
    for kind in PRECISION:
        for value in ("1E+3", "0.00001", "1E-7", "123456.7"):
            assert "E" not in number_text(Decimal(value), kind)


def test_counts_of_tablets_keep_their_halves() -> None:
    assert number_text(Decimal("69.5"), "tablets") == "69.5"
    assert number_text(Decimal("14"), "tablets") == "14"


def test_quantities_are_formatted_only_in_taper_voice_quantities() -> None:
    """The one place: no other module turns a Decimal into text on its own (the old helpers in
    taper.read.units are gone, and nothing quantizes for printing outside the voice module)."""
    for path in (ROOT / "taper").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "format_number(" not in source, path
        assert "format_amount(" not in source, path


@pytest.mark.parametrize("template", sorted(p.stem for p in (ROOT / "templates").glob("*.toml")))
def test_no_template_prints_an_unrounded_number(template: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from taper.cli import main

    regimen = tmp_path / "r.toml"
    made = CliRunner().invoke(
        main,
        [
            "new",
            template,
            "-o",
            str(regimen),
            "--start",
            "2027-01-04",
            "--timezone",
            "America/New_York",
            "--weight",
            "70.3 kg",
            "--height",
            "171.3 cm",
        ],
    )
    assert made.exit_code == 0, made.output
    plan = load_plan(regimen, today=TODAY)
    assert not LONG_NUMBER.search(render_table(plan))
    sheet = pdf_text(render_pdf(plan, "pharmacist", stamp=STAMP))
    assert not LONG_NUMBER.search(sheet), LONG_NUMBER.search(sheet)


# -- the class: every number of every kind prints rounded, and within half a step of the value --

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    value=st.decimals(min_value=Decimal("0.00001"), max_value=Decimal(10**7), places=30),
    divisor=st.sampled_from([Decimal(1), Decimal(3), Decimal(7), Decimal("0.75"), Decimal(36)]),
    kind=st.sampled_from(sorted(PRECISION)),
)
def test_every_kind_prints_rounded_and_close(value: Decimal, divisor: Decimal, kind: str) -> None:
    exact = value / divisor  # a division: the decimals that never end
    text = number_text(exact, kind)
    assert "E" not in text and "e" not in text
    step = PRECISION[kind]
    decimals = max(0, -step.as_tuple().exponent)  # type: ignore[operator]
    assert len(text.partition(".")[2]) <= decimals, text
    assert abs(Decimal(text) - exact) <= step / 2 if kind != "tablets" else True
