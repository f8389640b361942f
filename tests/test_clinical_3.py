"""Issue 25, the patient-care half: orders taper had never seen (deflazacort for a child,
budesonide, antenatal betamethasone, docetaxel premedication, ulcerative colitis in pregnancy,
croup), each checked at its boundary: the handouts' words read back from the PDF with pypdf."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pypdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariant_strategies import stopping

from taper.api import load as load_plan
from taper.export.pdf import render_pdf
from taper.read.catalogue import find_drug
from taper.read.errors import RegimenError
from taper.read.templates import list_templates, render_template
from taper.records.plan import Plan
from taper.voice.doses import dose_instructions
from taper.voice.watch import TIERS, watch_list
from taper.voice.words import words_of

TODAY = date(2026, 11, 22)
STAMP = datetime(2026, 11, 22, tzinfo=UTC)


def build(tmp_path: Path, text: str) -> Plan:
    path = tmp_path / "r.toml"
    # Written before the after key: each course stops on its last day (tests/test_after.py).
    path.write_text(stopping(text), encoding="utf-8")
    return load_plan(path, today=TODAY)


def text_of(plan: Plan, audience: str = "patient") -> str:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(plan, audience, stamp=STAMP)))  # type: ignore[arg-type]
    return " ".join(
        " ".join(page.extract_text().replace("\u00a0", " ").split()) for page in reader.pages
    )


def regimen(
    phases: str,
    *,
    conditions: str = "[]",
    team: str = 'clinic = "Clinic"\nphone = "312-555-0100"',
    zone: str = "America/Chicago",
    weight: str = "",
    extra: str = "",
) -> str:
    return (
        f'title = "Course"\nstart = 2026-12-10\ntimezone = "{zone}"\nrevision = 0\n\n'
        f'[patient]\nname = "Pat"\n{weight}\nconditions = {conditions}\n\n'
        f"[care_team]\n{team}\n\n{phases}\n{extra}"
    )


DEFLAZACORT = """
[[phase]]
name = "Deflazacort"
drug = "deflazacort"
liquid = "22.75 mg/mL"
given_by = "caregiver"
dose = "16 mg"
days = 180
at = ["breakfast"]
take = "with food"
"""


# -- H1: a glucocorticoid taper did not know ------------------------------------------------------


def test_new_catalogue_drugs_cite_their_labels() -> None:
    deflazacort = find_drug("Emflaza")
    assert deflazacort is not None and deflazacort.id == "deflazacort"
    assert [str(t) for t in deflazacort.tablets] == ["6 mg", "18 mg", "30 mg", "36 mg"]
    assert deflazacort.liquids == ("22.75 mg/mL",)
    assert deflazacort.equivalence_approximate
    budesonide = find_drug("Entocort EC")
    assert budesonide is not None and budesonide.counsel_by_length
    assert budesonide.prednisone_equivalent is None
    hydrocortisone = find_drug("Cortef")
    assert hydrocortisone is not None and [str(t) for t in hydrocortisone.tablets] == [
        "5 mg",
        "10 mg",
        "20 mg",
    ]
    betamethasone = find_drug("Celestone Soluspan")
    assert betamethasone is not None and "im" in betamethasone.routes
    assert betamethasone.liquids == ("6 mg/mL",)
    import tomllib

    data = tomllib.loads(
        (Path(__file__).parent.parent / "taper/data/drugs.toml").read_text(encoding="utf-8")
    )
    for drug in ("deflazacort", "budesonide", "hydrocortisone", "betamethasone"):
        source = data["drug"][drug]["products_source"].lower()
        assert "label" in source or "prescribing information" in source


def test_deflazacort_for_a_child_gets_every_tier_and_the_card(tmp_path: Path) -> None:
    plan = build(tmp_path, regimen(DEFLAZACORT, weight='weight = "18 kg"'))
    codes = {w.code for w in plan.warnings}
    assert "adrenal" in codes and "unknown-drug" not in codes
    text = text_of(plan)
    assert "Nothing listed" not in text
    assert "Carry a steroid card" in text
    assert "short of steroid" in text
    assert "Do not take it with grapefruit juice." in text
    assert "juice or milk" in text
    assert "No live vaccines" in text
    assert "From the product label, printed on the handout" in text_of(plan, "pharmacist")
    assert "A new skin rash. Call before you give the next dose." in text
    assert "A rash with blisters, peeling skin, or sores in the mouth or eyes." in text
    # L1: a parent gives it, in the handout, the sig and the reminders.
    assert "Do not stop giving the medicine early" in text
    assert "Signs your child's body is short of steroid" in text
    assert (
        "If your child is ill" in text and "Keep giving the steroid when your child is ill" in text
    )
    assert "treats your child that your child takes a steroid" in text
    assert "Give it as soon as you remember." in text
    assert "Measure your child's liquid medicine in mL" in text
    assert "Your child will take this steroid every day for more than 3 months." in text
    assert "You will take" not in text
    assert "your tablets" not in text
    assert "give to your child by mouth" in text_of(plan, "pharmacist")
    words = words_of(plan)
    assert all("give it to your child" in dose_instructions(d, words) for d in plan.doses)


def test_an_unknown_drug_must_say_what_it_is(tmp_path: Path) -> None:
    order = DEFLAZACORT.replace('"deflazacort"', '"vamorolone"').replace("22.75", "40")
    with pytest.raises(RegimenError) as raised:
        build(tmp_path, regimen(order))
    assert 'add class = "glucocorticoid"' in str(raised.value)
    declared = order.replace('drug = "vamorolone"', 'drug = "vamorolone"\nclass = "glucocorticoid"')
    plan = build(tmp_path, regimen(declared))
    warning = next(w for w in plan.warnings if w.code == "unknown-drug")
    assert "general steroid advice" in warning.message
    assert "adrenal" in {w.code for w in plan.warnings}
    text = text_of(plan)
    assert "Carry a steroid card" in text and "Nothing listed" not in text
    # A medicine declared "other" gets no steroid advice, and never an empty emergency tier.
    other = order.replace('drug = "vamorolone"', 'drug = "vamorolone"\nclass = "other"')
    text = text_of(build(tmp_path, regimen(other)))
    assert "taper has no emergency signs listed for this medicine" in text
    assert "Carry a steroid card" not in text


def test_a_declared_class_on_a_catalogue_drug_must_agree(tmp_path: Path) -> None:
    order = DEFLAZACORT.replace('drug = "deflazacort"', 'drug = "deflazacort"\nclass = "other"')
    with pytest.raises(RegimenError, match="remove class"):
        build(tmp_path, regimen(order))


def test_budesonide_is_counselled_by_length(tmp_path: Path) -> None:
    order = """
[[phase]]
name = "Tarpeyo"
drug = "tarpeyo"
tablets = ["4 mg"]
dose = "16 mg"
days = 90
at = ["wake"]
"""
    plan = build(tmp_path, regimen(order))
    assert "adrenal" in {w.code for w in plan.warnings}
    text = text_of(plan)
    assert "Carry a steroid card" in text
    assert "Swallow it whole." in text
    with pytest.raises(RegimenError, match="guard against slips"):
        build(tmp_path, regimen(order.replace('"16 mg"', '"160 mg"').replace('"4 mg"', '"40 mg"')))


def test_antenatal_betamethasone_two_injections(tmp_path: Path) -> None:
    order = """
[[phase]]
name = "Betamethasone"
drug = "betamethasone"
route = "im"
given_by = "staff"
liquid = "6 mg/mL"
dose = "12 mg"
days = 2
at = ["10:00"]
"""
    plan = build(tmp_path, regimen(order, conditions='["pregnancy"]'))
    assert [d.volume_ml for d in plan.doses] == [2, 2]
    assert "adrenal" not in {w.code for w in plan.warnings}
    fluorinated = next(w for w in plan.warnings if w.code == "pregnancy-fluorinated")
    assert "antenatal corticosteroids" in fluorinated.message
    text = text_of(plan)
    assert "Carry a steroid card" not in text
    assert "Do not stop taking your tablets" not in text
    assert "If you cannot come for an infusion or injection" in text


def test_antenatal_betamethasone_24_hours_apart_across_a_clock_change(tmp_path: Path) -> None:
    # clinical-reference-3 §3: the second dose 24 elapsed hours after the first, also across
    # the spring-forward night (New York, 2027-03-14).
    order = """
[[phase]]
name = "Betamethasone"
drug = "betamethasone"
route = "im"
given_by = "staff"
liquid = "6 mg/mL"
dose = "12 mg"
every = "24h"
days = 2
at = ["10:00"]
"""
    text = regimen(order, conditions='["pregnancy"]', zone="America/New_York")
    plan = build(tmp_path, text.replace("2026-12-10", "2027-03-13"))
    first, second = plan.doses
    elapsed = second.starts.astimezone(UTC) - first.starts.astimezone(UTC)
    assert elapsed.total_seconds() == 24 * 3600
    assert (first.time, second.time) == ("10:00", "11:00")
    assert "every 24 hours: 2 doses, the first at 10:00 AM" in text_of(plan)
    assert "day and night" not in text_of(plan)


# -- H2, M4: call now, day or night; the contact the item names ---------------------------------


DOCETAXEL = """
[[phase]]
name = "Dexamethasone"
drug = "dexamethasone"
tablets = ["4 mg"]
dose = "8 mg"
days = 3
at = ["breakfast", "supper"]
take = "with food"
missed = "Call the cancer centre before your infusion."
"""


def test_fever_after_chemotherapy_is_the_24_hour_line_now(tmp_path: Path) -> None:
    team = (
        'clinic = "Oncology clinic"\nphone = "312-555-0100"\n'
        'oncology = "City Cancer Centre 24-hour line"\noncology_phone = "312-555-0199"'
    )
    plan = build(tmp_path, regimen(DOCETAXEL, conditions='["chemotherapy"]', team=team))
    tiers = watch_list(plan).by_tier()
    fevers = [(tier, i.text) for tier, items in tiers.items() for i in items if "fever" in i.text]
    assert fevers == []  # the chemotherapy item says temperature, and no other item is left
    now = [i.text for i in tiers["now"]]
    assert any("37.5 °C" in t and "City Cancer Centre 24-hour line at" in t for t in now)
    assert any("in the 6 weeks after chemotherapy" in t for t in now)
    assert not any("infection" in i.text for i in tiers["call"])
    text = text_of(plan)
    assert "Call now, day or night Do not wait until the next day. Call City Cancer Centre" in text
    # M5: the prescriber's words replace the default missed-dose rules.
    assert "Call the cancer centre before your infusion." in text
    assert "skip the missed one" not in text and "skip it" not in text


def test_pregnancy_names_the_maternity_unit_with_its_number(tmp_path: Path) -> None:
    team = (
        'clinic = "IBD clinic"\nphone = "020 7946 0100"\n'
        'maternity = "St Mary\'s maternity unit"\nmaternity_phone = "020 7946 0200"'
    )
    order = """
[[phase]]
name = "Prednisolone"
drug = "prednisolone"
tablets = ["5 mg"]
at = ["breakfast"]
take = "with breakfast"
taper = { from = "40 mg", to = "5 mg", by = "5 mg", every = 7 }
"""
    plan = build(
        tmp_path, regimen(order, conditions='["pregnancy"]', team=team, zone="Europe/London")
    )
    text = text_of(plan)
    assert "Do not wait until the next day. Call St Mary's maternity unit at 020 7946 0200." in text
    assert "Heavy bleeding from your vagina, or passing clots." in text
    assert "spotting from your vagina" in text
    assert "call your maternity unit" not in text
    # L5: the slot and take joined once.
    assert "with breakfast with breakfast" not in text_of(plan, "pharmacist")
    # The low steps of the taper carry the adrenal signs (5 mg from day 50).
    assert "Watch for these from Thursday, January 28, 2027" in text


def test_without_a_maternity_number_the_page_asks_for_it(tmp_path: Path) -> None:
    plan = build(
        tmp_path, regimen(DOCETAXEL.replace("missed", "# missed"), conditions='["pregnancy"]')
    )
    text = text_of(plan)
    assert "Call your maternity unit (ask for the number and write it here" in text


def test_mixed_contacts_in_the_now_tier_name_each_items_own(
    tmp_path: Path,
) -> None:
    order = """
[[phase]]
name = "Plasma exchange"
drug = "plasma exchange"
route = "procedure"
sessions = 3
every = 2
at = ["09:00"]
"""
    team = 'clinic = "Neurology"\nphone = "312-555-0100"\nmaternity_phone = "312-555-0111"'
    plan = build(tmp_path, regimen(order, conditions='["pregnancy"]', team=team))
    text = text_of(plan)
    # The heading names no one when its items name different contacts: each item names its
    # own, with its number (the line items the clinic's, the pregnancy items the maternity
    # unit's).
    assert "Do not wait until the next day. Call the number given with each item below." in text
    assert "Call your maternity unit at 312-555-0111." in text
    assert "comes out. Call Neurology at 312-555-0100." not in text  # pregnancy's fever wins
    assert "goes into your skin. Call Neurology at 312-555-0100." in text
    fevers = [i for i in watch_list(plan).by_tier()["now"] if "fever" in i.text.lower()]
    assert len(fevers) == 1


def test_the_prescriber_can_replace_a_built_in_item(tmp_path: Path) -> None:
    extra = (
        '[[watch]]\ntier = "now"\ntext = "A fever of 38 °C or more: call the ward now."\n'
        'replaces = "infection"\n'
    )
    plan = build(tmp_path, regimen(DOCETAXEL, extra=extra))
    texts = [(t, i.text) for t, items in watch_list(plan).by_tier().items() for i in items]
    assert ("now", "A fever of 38 °C or more: call the ward now.") in texts
    assert not [t for t in texts if t[1].startswith("A fever, chills")]
    assert "watch-overlap" not in {w.code for w in plan.warnings}
    # Without replaces, taper warns and names the id to replace.
    plan = build(tmp_path, regimen(DOCETAXEL, extra=extra.replace('replaces = "infection"\n', "")))
    overlap = next(w for w in plan.warnings if w.code == "watch-overlap")
    assert overlap.place == "watch[1]" and 'add replaces = "infection"' in overlap.message
    with pytest.raises(RegimenError, match="no built-in watch item"):
        build(tmp_path, regimen(DOCETAXEL, extra=extra.replace('"infection"', '"fevre"')))


# -- M5: a single dose, several doses a day -----------------------------------------------------


def test_croup_single_dose_never_says_skip_it(tmp_path: Path) -> None:
    order = """
[[phase]]
name = "Dexamethasone"
drug = "dexamethasone"
liquid = "1 mg/mL"
given_by = "caregiver"
dose = "2.4 mg"
days = 1
at = ["09:00"]
"""
    plan = build(tmp_path, regimen(order, weight='weight = "16 kg"', conditions='["croup"]'))
    text = text_of(plan)
    assert "2.4 mg (2.4 mL) once at 9:00 AM." in text
    # The breathing red flags a parent acts on (the steroid's own items say nothing of them).
    assert "Your child is struggling for each breath" in text
    assert "A harsh, noisy sound when your child breathes in while resting" in text
    assert "This is a single dose. If it is late, give it as soon as you remember." in text
    pharmacist = text_of(plan, "pharmacist")
    assert "Single dose: if it is late" in pharmacist and "skip it" not in pharmacist
    assert "skip" not in text


def test_several_doses_a_day_print_one_rule(tmp_path: Path) -> None:
    order = DOCETAXEL.replace('missed = "Call the cancer centre before your infusion."', "")
    text = text_of(build(tmp_path, regimen(order)))
    assert "unless it is nearly time for your next dose" in text
    assert "If you do not remember until the next day" not in text
    pharmacist = text_of(build(tmp_path, regimen(order)), "pharmacist")
    assert "Missed doses (several a day)" in pharmacist
    assert "if not until the next day, skip it" not in pharmacist


# -- still short from round two ----------------------------------------------------------------


def test_plasma_exchange_line_items_run_to_the_line_removal(tmp_path: Path) -> None:
    order = """
[[phase]]
name = "Plasma exchange"
drug = "plasma exchange"
route = "procedure"
sessions = 3
every = 2
at = ["09:00"]
"""
    order += (
        '[[phase]]\nname = "Prednisone"\ndrug = "prednisone"\nstart_day = 1\ndose = "20 mg"\n'
        'days = 10\nat = ["breakfast"]\n'
    )
    removal = '[[also]]\nkind = "appointment"\nwhat = "Line removal"\ndays = [8]\nat = ["10:00"]\n'
    plan = build(tmp_path, regimen(order, extra=removal))
    group = next(g for g in watch_list(plan).groups if "plasma" in g.label.lower())
    assert (group.first_day, group.last_day) == (1, 8)
    plain = build(tmp_path, regimen(order))
    group = next(g for g in watch_list(plain).groups if "plasma" in g.label.lower())
    assert group.last_day == 5


def test_bone_advice_for_a_continuous_course_follows_section_4(tmp_path: Path) -> None:
    order = """
[[phase]]
name = "Prednisone"
drug = "prednisone"
dose = "10 mg"
days = 100
at = ["breakfast"]
"""
    text = text_of(build(tmp_path, regimen(order)))
    assert "every day for more than 3 months" in text
    assert "repeated courses" not in text


# -- the invariants -----------------------------------------------------------------------------


def signs_by_tier(plan: Plan) -> dict[str, set[str]]:
    """Each sign's tiers on the page; a sign given by two items (two contacts, say) counts
    twice, so one instruction per sign means one tier holding one item."""
    seen: dict[str, set[str]] = {}
    for tier, items in watch_list(plan).by_tier().items():
        for item in items:
            for sign in item.signs:
                before = seen.setdefault(sign, set())
                before.add(tier if tier not in before else f"{tier} again")
    return seen


CONDITIONS = [
    "croup",
    "pregnancy",
    "chemotherapy",
    "ms-relapse",
    "diabetes",
    "breastfeeding",
    "glaucoma",
    "giant-cell-arteritis",
    "polymyalgia-rheumatica",
]
PHASES = {
    "pulse": '[[phase]]\nname = "Pulse"\ndrug = "methylprednisolone"\nroute = "iv"\n'
    'dose = "1 g"\ndays = 3\nat = ["09:00"]\nduration = "1 h"\n',
    "taper": '[[phase]]\nname = "Taper"\ndrug = "prednisone"\nat = ["breakfast"]\n'
    'taper = { from = "40 mg", to = "5 mg", by = "5 mg", every = 4 }\n',
    "plex": '[[phase]]\nname = "PLEX"\ndrug = "plasma exchange"\nroute = "procedure"\n'
    'sessions = 3\nevery = 2\nat = ["09:00"]\n',
    "acth": '[[phase]]\nname = "ACTH"\ndrug = "acth"\nroute = "sc"\ngiven_by = "patient"\n'
    'liquid = "80 units/mL"\ndose = "80 units"\ndays = 21\nat = ["09:00"]\n',
    "deflazacort": DEFLAZACORT,
    "declared": '[[phase]]\nname = "Vamorolone"\ndrug = "vamorolone"\nclass = "glucocorticoid"\n'
    'tablets = ["40 mg"]\ndose = "80 mg"\ndays = 30\nat = ["breakfast"]\n',
    "other": '[[phase]]\nname = "Other"\ndrug = "mycophenolate"\nclass = "other"\n'
    'tablets = ["500 mg"]\ndose = "1000 mg"\ndays = 10\nat = ["breakfast"]\n',
    "croup": '[[phase]]\nname = "Croup"\ndrug = "dexamethasone"\nliquid = "1 mg/mL"\n'
    'given_by = "caregiver"\ndose = "2.4 mg"\ndays = 1\nat = ["09:00"]\n',
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    conditions=st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=3),
    phases=st.lists(st.sampled_from(sorted(PHASES)), min_size=1, max_size=2, unique=True),
)
def test_no_sign_in_two_tiers_and_never_an_empty_emergency_tier(
    tmp_path: Path, conditions: list[str], phases: list[str]
) -> None:
    body = ""
    for number, name in enumerate(phases):
        phase = PHASES[name]
        if number:
            phase = phase.replace("[[phase]]\n", "[[phase]]\nstart_day = 40\n", 1)
        body += phase + "\n"
    plan = build(tmp_path, regimen(body, conditions=repr(conditions).replace("'", '"')))
    for sign, tiers in signs_by_tier(plan).items():
        assert len(tiers) == 1, (sign, tiers, conditions, phases)
    assert set(watch_list(plan).by_tier()) == set(TIERS)
    if not watch_list(plan).by_tier()["emergency"]:
        # Only a medicine declared "other" has no emergency items; the handout then says so,
        # never "call the clinic" under the emergency heading.
        assert phases == ["other"]
        text = text_of(plan)
        emergency = text[text.index("Emergency: call") :]
        assert emergency.split("Call 911 or go to the nearest emergency department now. ")[
            1
        ].startswith("taper has no emergency signs listed for this medicine.")


@pytest.mark.parametrize("name", [t.name for t in list_templates()])
def test_every_template_has_an_emergency_tier(tmp_path: Path, name: str) -> None:
    text = render_template(
        name, start=date(2026, 12, 1), weight="70 kg", timezone="America/New_York", height="170 cm"
    )
    plan = build(tmp_path, text)
    assert watch_list(plan).by_tier()["emergency"], name
    for tiers in signs_by_tier(plan).values():
        assert len(tiers) == 1
