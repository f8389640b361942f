"""One sign, one instruction, and every call names its own number (the clinical pharmacist's
review of clinical-care, items 2, 3 and the GCA eyesight): each order's words read back from
the patient PDF, then the invariants over generated regimens."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_clinical_3 import PHASES, build, regimen, text_of

from taper.read.errors import RegimenError
from taper.read.templates import render_template
from taper.records.plan import Plan
from taper.voice.counselling import adrenal_section
from taper.voice.overview import tier_call
from taper.voice.people import call_clinic
from taper.voice.watch import (
    CLINIC,
    TIERS,
    _sign_problems,
    adrenal_signs,
    triggered_signs,
    watch_list,
)
from taper.voice.watchwords import call_contact

ONCOLOGY_TEAM = (
    'clinic = "Breast Oncology Clinic"\nphone = "416-555-0130"\n'
    'oncology = "Princess Margaret 24-hour chemotherapy line"\noncology_phone = "416-555-0111"'
)
BOTH_TEAM = (
    ONCOLOGY_TEAM + '\nmaternity = "Mount Sinai Birthing Centre"\nmaternity_phone = "416-555-0155"'
)

# Giant cell arteritis: 60 mg, then down over months (08-gca-stockholm.toml, shortened).
GCA = """
[[phase]]
name = "Prednisolone"
drug = "prednisolone"
tablets = ["5 mg", "1 mg"]
at = ["breakfast"]
take = "with food"
steps = [
  { dose = "60 mg", days = 28 },
  { dose = "50 mg", days = 14 },
  { dose = "40 mg", days = 14 },
  { dose = "30 mg", days = 14 },
  { dose = "20 mg", days = 14 },
  { dose = "10 mg", days = 28 },
  { dose = "5 mg", days = 28 },
]
"""

GCA_EYES = (
    "Any new problem with your eyesight, such as loss of sight or double vision: go to an eye "
    "emergency department (eye casualty) or the emergency department straight away."
)
GCA_HEADACHE = "A new headache: see a doctor the same day (within 24 hours)."
GCA_JAW = "Pain in your jaw or tongue when you chew: see a doctor the same day (within 24 hours)."


def _between(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


# -- GCA and PMR: new eyesight problems are for eye casualty now -------------------------------


@pytest.mark.parametrize("condition", ["giant-cell-arteritis", "polymyalgia-rheumatica"])
def test_gca_eyesight_is_eye_casualty_now_and_jaw_pain_a_doctor_today(
    tmp_path: Path, condition: str
) -> None:
    plan = build(tmp_path, regimen(GCA, conditions=f'["{condition}"]', zone="Europe/Stockholm"))
    text = text_of(plan)
    emergency = _between(text, "Emergency: call 112", "Signs your body is short of steroid")
    assert GCA_EYES in emergency
    call = _between(text, "Call the clinic today", "Emergency: call 112")
    assert GCA_HEADACHE in call and GCA_JAW in call
    # One instruction for each sign: the steroid's own eyesight and headache lines are gone.
    assert "Any change in your eyesight." not in text
    assert "You may get a headache." not in text


def test_the_gca_template_declares_the_condition(tmp_path: Path) -> None:
    text = render_template(
        "gca-prednisone-2-year-taper",
        start=date(2026, 12, 1),
        weight="70 kg",
        timezone="Europe/London",
    )
    plan = build(tmp_path, text)
    assert "giant-cell-arteritis" in plan.patient.conditions
    page = text_of(plan)
    assert GCA_EYES in _between(page, "Emergency: call 999", "Signs your body is short")
    assert "Any change in your eyesight." not in page


def test_gca_in_pregnancy_keeps_the_most_urgent_instruction_for_each_sign(
    tmp_path: Path,
) -> None:
    plan = build(
        tmp_path,
        regimen(GCA, conditions='["giant-cell-arteritis", "pregnancy"]', team=BOTH_TEAM),
    )
    text = text_of(plan)
    # Eyesight: eye casualty now beats the maternity unit; a severe headache: the maternity
    # unit now beats a doctor today. Jaw pain stays, with the doctor today.
    assert GCA_EYES in text and "Any change in your eyesight" not in text
    assert "A severe headache, or new swelling of your face or hands. Call Mount Sinai" in text
    assert GCA_HEADACHE not in text and GCA_JAW in text


# -- one sign, one instruction, across condition items and the adrenal items -------------------

# Dexamethasone for 6 weeks, with chemotherapy: long enough for the adrenal items whatever
# the course-length rule (the 05 order's three short cycles may lose them).
LONG_DEX = """
[[phase]]
name = "Dexamethasone"
drug = "dexamethasone"
tablets = ["4 mg"]
dose = "4 mg"
days = 42
at = ["breakfast", "lunch"]
take = "with food"
"""


def test_chemotherapy_diarrhoea_stays_with_the_24_hour_line_when_vomiting_is_an_emergency(
    tmp_path: Path,
) -> None:
    plan = build(tmp_path, regimen(LONG_DEX, conditions='["chemotherapy"]', team=ONCOLOGY_TEAM))
    assert "adrenal" in {w.code for w in plan.warnings}
    text = text_of(plan)
    now = _between(text, "Call now, day or night", "Emergency: call 911")
    assert (
        "Diarrhoea that does not stop. Call Princess Margaret 24-hour chemotherapy line at "
        "416-555-0111." in now
    )
    emergency = _between(text, "Emergency: call 911", "Signs your body is short of steroid")
    assert "Being sick again and again, or fainting. This can be an adrenal crisis." in emergency
    # Vomiting has one instruction: the emergency, not also the 24-hour line.
    assert "Being sick again and again." not in text.replace("again and again, or fainting", "")


def test_pregnancy_belly_pain_is_one_instruction_across_the_adrenal_section(
    tmp_path: Path,
) -> None:
    taper = """  # the 07 order
[[phase]]
name = "Prednisolone"
drug = "prednisolone"
tablets = ["5 mg"]
at = ["breakfast"]
take = "with food"
taper = { from = "40 mg", to = "5 mg", by = "5 mg", every = 7 }
"""
    team = (
        'clinic = "IBD Unit"\nphone = "01 555 0150"\n'
        'maternity = "National Maternity Hospital"\nmaternity_phone = "01 555 0190"'
    )
    plan = build(
        tmp_path, regimen(taper, conditions='["pregnancy"]', team=team, zone="Europe/Dublin")
    )
    text = text_of(plan)
    emergency = _between(text, "Emergency: call 112", "Signs your body is short of steroid")
    assert "Sharp or constant pain in your belly." in emergency
    adrenal = _between(text, "Signs your body is short of steroid", "Carry a steroid card")
    assert "Belly pain" not in adrenal and "belly" not in adrenal
    # The section's other signs stay.
    assert "Aching muscles or joints." in adrenal and "Feeling dizzy when you stand up." in adrenal


# -- a heading names a contact only when every item under it uses it ---------------------------


def test_chemotherapy_in_pregnancy_call_now_names_each_items_number(tmp_path: Path) -> None:
    order = """
[[phase]]
name = "Cycle 1"
drug = "dexamethasone"
tablets = ["4 mg"]
at = ["breakfast", "lunch"]
take = "with food"
steps = [ { dose = "4 mg", days = 3 } ]
"""
    plan = build(
        tmp_path,
        regimen(
            order,
            conditions='["chemotherapy", "pregnancy"]',
            team=BOTH_TEAM,
            zone="America/Toronto",
        ),
    )
    text = text_of(plan)
    now = _between(text, "Call now, day or night", "Emergency: call 911")
    assert now.startswith(
        "Call now, day or night Do not wait until the next day. Call the number given with "
        "each item below."
    )
    assert "416-555-0130" not in now  # the daytime clinic
    assert "Diarrhoea that does not stop. Call Princess Margaret 24-hour" in now
    assert "Painful contractions that come regularly. Call Mount Sinai Birthing Centre at" in now


def test_a_prescriber_cannot_replace_a_more_urgent_item_silently(tmp_path: Path) -> None:
    extra = (
        '[[watch]]\ntier = "now"\ntext = "Vomiting: call the 24-hour line."\n'
        'replaces = "adrenal-crisis"\n'
    )
    plan = build(tmp_path, regimen(LONG_DEX, conditions='["chemotherapy"]', extra=extra))
    warning = next(w for w in plan.warnings if w.code == "watch-more-urgent")
    assert warning.place == "watch[1].replaces"
    assert '"adrenal-crisis" (tier emergency) is more urgent' in warning.message
    texts = [i.text for i in watch_list(plan).by_tier()["emergency"]]
    assert any("adrenal crisis" in t for t in texts)


def test_the_watch_data_refuses_a_replacement_that_loses_a_sign() -> None:
    items = [
        {"id": "a", "tier": "now", "signs": ["vomiting-again", "diarrhoea"], "text": "A"},
        {"id": "b", "tier": "emergency", "signs": ["vomiting-again"], "replaces": ["a"]},
        {"id": "c", "tier": "call", "signs": ["fever"], "replaces": ["d"]},
        {"id": "d", "tier": "now", "signs": ["fever"]},
        {"id": "e", "tier": "call", "signs": ["rash"]},
        {"id": "f", "tier": "call", "signs": ["rash"]},
    ]
    problems = " | ".join(_sign_problems(items))
    assert "'b' replaces 'a' but gives no instruction for ['diarrhoea']" in problems
    assert "'c' replaces 'd', which is more urgent" in problems
    assert "items 'e' and 'f' both give an instruction for ['rash']" in problems


# -- the invariants -----------------------------------------------------------------------------

CONDITIONS = [
    "pregnancy",
    "chemotherapy",
    "giant-cell-arteritis",
    "polymyalgia-rheumatica",
    "ms-relapse",
    "croup",
    "diabetes",
]
TEAMS = [
    'clinic = "Clinic"\nphone = "312-555-0100"',
    BOTH_TEAM,
    ONCOLOGY_TEAM + '\nmaternity_phone = "312-555-0177"',
]
LONG = {"long": LONG_DEX}
_NUMBER = re.compile(r"\d[\d -]{5,}\d")


def _page_checks(plan: Plan) -> None:
    watch = watch_list(plan)
    tiers = watch.by_tier()
    # 1. At most one item for a sign on the page, across every tier and the adrenal section.
    on_page = [item for tier in TIERS for item in tiers[tier]]
    adrenal = set(adrenal_signs(plan))
    shown = [i for i in on_page if not (i.trigger == "adrenal" and i.tier == "call")]
    signs: dict[str, list[str]] = {}
    for item in shown:
        for sign in item.signs:
            signs.setdefault(sign, []).append(item.text)
    for item in on_page:
        if item.trigger == "adrenal" and item.tier == "call" and item.text in adrenal:
            for sign in item.signs:
                signs.setdefault(sign, []).append(item.text)
    for sign, texts in signs.items():
        assert len(texts) == 1, (sign, texts)
    # 2. No sign of any triggered item disappears from the page.
    assert triggered_signs(plan) <= set(signs), (triggered_signs(plan), set(signs))
    # 3. A heading names a contact only if every item under it uses that contact; otherwise
    # each item names its own, with the number of the contact it names.
    clinic = call_clinic(plan)
    for tier in ("call", "now"):
        contact = watch.contact(tier)
        names = {i.contact or CLINIC for i in tiers[tier]}
        if contact is not None:
            assert names <= {contact}, (tier, contact, names)
        for item in tiers[tier]:
            own = call_contact(plan, item.contact) if item.contact else clinic
            others = {call_contact(plan, c) for c in ("maternity", "oncology")} | {clinic}
            for text in others - {own}:
                assert text not in item.text, (item.text, text)
            if contact is None and item.trigger != "prescriber":
                assert item.text.endswith(own), (item.text, own)
            if contact is not None and item.contact is not None:
                assert own in item.text


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    conditions=st.lists(st.sampled_from(CONDITIONS), unique=True, max_size=3),
    phases=st.lists(
        st.sampled_from(sorted({**PHASES, **LONG})), min_size=1, max_size=2, unique=True
    ),
    team=st.sampled_from(TEAMS),
)
def test_one_instruction_per_sign_and_every_call_names_its_number(
    tmp_path: Path, conditions: list[str], phases: list[str], team: str
) -> None:
    body = ""
    for number, name in enumerate(phases):
        phase = {**PHASES, **LONG}[name]
        if number:
            phase = phase.replace("[[phase]]\n", "[[phase]]\nstart_day = 50\n", 1)
        body += phase + "\n"
    plan = build(tmp_path, regimen(body, conditions=repr(conditions).replace("'", '"'), team=team))
    _page_checks(plan)


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    conditions=st.lists(st.sampled_from(CONDITIONS[:4]), unique=True, min_size=1, max_size=3),
    phase=st.sampled_from(["taper", "long", "pulse", "plex"]),
)
def test_the_patient_pdf_prints_each_signs_instruction_once(
    tmp_path: Path, conditions: list[str], phase: str
) -> None:
    """Read back from the PDF: each item with a sign prints once (its tier or the adrenal
    section), the items it stands in for not at all, and the heading of each call tier names
    whom the page's items agree on."""
    plan = build(
        tmp_path,
        regimen(
            {**PHASES, **LONG}[phase],
            conditions=repr(conditions).replace("'", '"'),
            team=BOTH_TEAM,
        ),
    )
    text = text_of(plan)
    watch = watch_list(plan)
    for items in watch.by_tier().values():
        for item in items:
            if item.signs and not (item.trigger == "adrenal" and item.tier == "call"):
                assert text.count(item.text) == 1, item.text
    if adrenal_section(plan) is not None:
        section = _between(text, "Signs your body is short of steroid", "Carry a steroid card")
        for sign_text in adrenal_signs(plan):
            assert sign_text in section
    if watch.by_tier()["now"]:
        call = tier_call(plan, watch.contact("now"))
        assert f"Do not wait until the next day. {call}" in text
    assert _NUMBER.search(text)


def test_a_title_that_names_gca_without_the_condition_is_refused(tmp_path: Path) -> None:
    """The format has no key for what a course treats: the condition is declared, and a title
    that names GCA or PMR without it is an error naming both fixes (the reviewers' 08 order:
    as a warning, the packet still sent a change in eyesight to "call the clinic today")."""
    text = regimen(GCA, zone="Europe/Stockholm").replace(
        'title = "Course"', 'title = "Giant cell arteritis: prednisolone 60 mg, tapering"'
    )
    with pytest.raises(RegimenError) as refused:
        build(tmp_path, text)
    (problem,) = [p for p in refused.value.problems if p.place == "title"]
    assert '"giant-cell-arteritis"' in problem.message
    assert "reword the title" in problem.message
    declared = text.replace("conditions = []", 'conditions = ["giant-cell-arteritis"]')
    build(tmp_path, declared)
    pmr = text.replace("Giant cell arteritis", "PMR")
    with pytest.raises(RegimenError) as refused_pmr:
        build(tmp_path, pmr)
    assert any("polymyalgia-rheumatica" in p.message for p in refused_pmr.value.problems)


def test_an_item_that_names_its_contact_keeps_its_reminder_rank(tmp_path: Path) -> None:
    """The chemotherapy fever (reminder rank 1) carries the 24-hour line's number after its
    text; its rank was looked up by the bare text, so a diabetes check (rank 2) took the
    reminder line instead (the reviewer's 05 order)."""
    from taper.voice.watch import reminder_line

    plan = build(
        tmp_path,
        regimen(LONG_DEX, conditions='["chemotherapy", "diabetes"]', team=ONCOLOGY_TEAM),
    )
    line = reminder_line(plan, plan.doses[0])
    assert line is not None and line.startswith("Call now, day or night: A temperature of 37.5")
    assert line.endswith("Call Princess Margaret 24-hour chemotherapy line at 416-555-0111.")
