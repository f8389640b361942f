"""The watch list (taper/voice/watch.py, data/watch.toml): data, triggers, conditions, output."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from taper.api import load as load_plan
from taper.cli import main
from taper.read.catalogue import conditions, read_data
from taper.read.templates import render_template
from taper.records.plan import Plan
from taper.voice.console import render_watch_text
from taper.voice.people import call_clinic
from taper.voice.watch import (
    TIERS,
    WatchItem,
    WatchList,
    checks_before,
    data_problems,
    known_trigger,
    reminder_line,
    watch_list,
)

TODAY = date(2026, 11, 22)
REGIMENS = Path(__file__).parent / "regimens"


@pytest.fixture
def plan_of(write_regimen: Callable[..., Path]) -> Callable[..., Plan]:
    def build(phases: str, patient: str = "") -> Plan:
        text = (
            'start = 2026-12-01\ntimezone = "America/New_York"\n[care_team]\n'
            f'phone = "212-555-0100"\n[patient]\n{patient}\n{phases}'
        )
        return load_plan(write_regimen(text), today=TODAY)

    return build


def template_plan(name: str, tmp_path: Path, conditions: str | None = None) -> Plan:
    text = render_template(
        name, start=date(2026, 12, 1), weight="70 kg", timezone="America/New_York"
    )
    if conditions is not None:
        text = text.replace('conditions = ["ms-relapse"]', f"conditions = {conditions}")
        text = text.replace("conditions = []", f"conditions = {conditions}")
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return load_plan(path, today=TODAY)


def labels(watch: WatchList) -> list[str]:
    return [group.label for group in watch.groups]


def texts(watch: WatchList, tier: str) -> list[str]:
    """The tier's sentences, with the no-break space in "8:00 AM" read as a space."""
    return [item.text.replace("\u00a0", " ") for item in watch.by_tier()[tier]]


IV = (
    '[[phase]]\ndrug = "methylprednisolone"\nroute = "iv"\ndose = "1 g"\ndays = 3\n'
    'at = ["09:00"]\nduration = "1 h"\n'
)


# -- the data -----------------------------------------------------------------------------------


def test_watch_data_is_valid() -> None:
    raw = read_data("watch.toml")
    assert data_problems(raw) == []
    for item in raw["item"]:
        assert item["tier"] in TIERS
        assert item["source"].strip()
        triggers = [item["trigger"]] if isinstance(item["trigger"], str) else item["trigger"]
        assert triggers and all(known_trigger(t) for t in triggers)


def test_every_condition_has_a_source_and_watch_items() -> None:
    raw_conditions = read_data("conditions.toml")["condition"]
    covered = {
        trigger.removeprefix("condition:")
        for item in read_data("watch.toml")["item"]
        for trigger in ([item["trigger"]] if isinstance(item["trigger"], str) else item["trigger"])
    }
    for cid, entry in raw_conditions.items():
        assert entry["source"].strip()
        assert cid in covered, cid
    assert "ms-relapse" in conditions()


def test_data_problems_finds_broken_items() -> None:
    raw: dict[str, Any] = copy.deepcopy(read_data("watch.toml"))
    raw["item"][0]["tier"] = "urgent"
    raw["item"][1]["trigger"] = "steroid-huge"
    del raw["item"][2]["source"]
    raw["item"][3]["during"] = "steroid-any"
    assert data_problems(raw) == [
        "item[1]: unknown tier 'urgent'",
        "item[2]: unknown trigger 'steroid-huge'",
        "item[3]: source is missing",
        "item[4]: during is for condition items only",
    ]


def test_item_texts_fill_every_placeholder(tmp_path: Path) -> None:
    plan = template_plan("ms-iv-pulse-3-day", tmp_path, '["ms-relapse", "diabetes"]')
    for group in watch_list(plan).groups:
        for item in group.items:
            assert "{" not in item.text and "}" not in item.text


# -- triggers -------------------------------------------------------------------------------------


def test_iv_pulse(plan_of: Callable[..., Plan]) -> None:
    watch = watch_list(plan_of(IV))
    assert labels(watch) == ["Days 1–3, IV methylprednisolone"]
    group = watch.groups[0]
    assert (group.first_day, group.last_day) == (1, 3)
    assert (
        WatchItem(
            "expected",
            "You may notice a metal taste in your mouth during the drip.",
            "steroid-iv",
            "Virginia Mason MS IV-steroid page; ACR IV methylprednisolone patient page (§6, HIGH); "
            "clinical-reference-2 §12",
        )
        in group.items
    )
    assert "A fever, chills or other signs of an infection." in texts(watch, "call")
    assert "A seizure (fit)." in texts(watch, "emergency")
    assert list(watch.by_tier()) == ["expected", "call", "now", "emergency"]


def test_high_dose_threshold_is_60_mg_prednisone_equivalent(plan_of: Callable[..., Plan]) -> None:
    def oral(dose: str, drug: str = "prednisone") -> WatchList:
        return watch_list(
            plan_of(f'[[phase]]\ndrug = "{drug}"\ndose = "{dose}"\ndays = 2\nat = ["08:00"]\n')
        )

    assert labels(oral("60 mg")) == ["Days 1–2, prednisone, high dose"]
    assert labels(oral("55 mg")) == ["Days 1–2, prednisone"]
    assert labels(oral("48 mg", "methylprednisolone")) == [
        "Days 1–2, methylprednisolone, high dose"
    ]
    assert labels(oral("9 mg", "dexamethasone")) == ["Days 1–2, dexamethasone, high dose"]
    lower = oral("55 mg")
    assert "You may feel hungrier than usual." not in texts(lower, "expected")
    assert "A fever, chills or other signs of an infection." in texts(lower, "call")
    assert "You may notice a metal taste in your mouth during the drip." not in texts(
        lower, "expected"
    )


def test_pulse_then_taper_groups(tmp_path: Path) -> None:
    plan = template_plan("ms-iv-pulse-then-prednisone-taper", tmp_path, "[]")
    watch = watch_list(plan)
    assert labels(watch) == [
        "Days 1–3, IV methylprednisolone",
        "Days 4–10, prednisone, high dose",
        "Days 11–31, prednisone",
        "After the last dose (days 32–…)",
    ]
    after = watch.groups[-1]
    assert (after.first_day, after.last_day) == (32, 396)
    # Belly pain and aching are two items: pregnancy's belly pain may stand in for the first.
    assert [i.tier for i in after.items] == ["call"] * 5 + ["emergency"]
    assert after.items[-1].text == (
        "Being sick again and again, or fainting. This can be an adrenal crisis."
    )
    assert all(i.trigger == "adrenal" for i in after.items)


def test_alternate_day_off_days_stay_in_the_group(tmp_path: Path) -> None:
    watch = watch_list(template_plan("label-methylprednisolone", tmp_path))
    assert labels(watch) == [
        "Days 1–7, methylprednisolone, high dose",
        "Days 8–37, methylprednisolone, high dose",
        "After the last dose (days 37–…)",
    ]


def test_no_adrenal_group_without_the_warning(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of(IV)
    assert "adrenal" not in [w.code for w in plan.warnings]
    assert not any(label.startswith("After") for label in labels(watch_list(plan)))


def test_acth_gel_carries_the_label_items_and_home_advice(tmp_path: Path) -> None:
    # H4, clinical-reference-2 §6: the steroid items the label supports, not only the route.
    acth = watch_list(template_plan("ms-acth-gel", tmp_path, "[]"))
    assert labels(acth) == ["Days 1–14, ACTH gel"]
    assert texts(acth, "expected") == [
        'You may feel moody, restless or "wired".',
        "You may feel hungrier than usual.",
        "Your body may hold on to water, and you may put on a little weight.",
    ]
    assert texts(acth, "call") == [
        "A fever, chills or other signs of an infection.",
        "A big change in mood: feeling very low, very high, or muddled.",
        "Putting on weight fast, or new swelling.",
        "Any change in your eyesight.",
        "Black or bloody stools.",
        "The gel goes under the skin or into a muscle, never into a vein. If a dose may have "
        "gone into a vein, call the clinic.",
        "Bad belly pain.",
        "Redness, pain or swelling where you injected.",
    ]
    assert texts(acth, "emergency") == ["Thoughts of harming yourself."]
    # The template's patient injects at home: storage, training and sharps.
    assert [item.text for item in acth.advice] == [
        "Keep the gel in the fridge (2–8 °C), never in the freezer. Warm the vial in your hands "
        "before you inject.",
        "Do not inject at home until a nurse has shown you, or the person who gives it, how to "
        "do it. Ask your care team about free injection training.",
        "Put used needles and syringes in a puncture-proof sharps container, not in the "
        "household rubbish.",
    ]


ACTH = (
    '[[phase]]\ndrug = "acth"\nroute = "sc"\ndose = "80 units"\ndays = {days}\n'
    'at = ["09:00"]\nliquid = "80 units/mL"\n{extra}\n'
)


def test_acth_advice_follows_who_gives_it(plan_of: Callable[..., Plan]) -> None:
    staff = watch_list(plan_of(ACTH.format(days=5, extra='given_by = "staff"')))
    assert staff.advice == ()
    carer = watch_list(
        plan_of(ACTH.format(days=5, extra='given_by = "caregiver"\ninjector = "80 units"'))
    )
    assert [item.text for item in carer.advice][-1] == (
        "The injector must be used by an adult (18 or over). For a child, an adult gives the "
        "injection."
    )
    vial = watch_list(plan_of(ACTH.format(days=5, extra='given_by = "patient"\nvial = "5 mL"')))
    assert len(vial.advice) == 3 and "adult" not in " ".join(i.text for i in vial.advice)


def test_acth_condition_items_and_nurse_checks(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of(
        ACTH.format(days=5, extra='given_by = "staff"'),
        'conditions = ["diabetes", "hypertension"]',
    )
    watch = watch_list(plan)
    assert labels(watch) == [
        "Days 1–5, ACTH gel",
        "Days 1–5, diabetes",
        "Days 1–5, high blood pressure",
    ]
    assert (
        "ACTH gel can raise blood sugar. Check it as your care team advises, and call if your "
        "readings are higher than usual." in texts(watch, "call")
    )
    assert any(t.startswith("ACTH gel can raise blood pressure") for t in texts(watch, "call"))
    assert not [t for t in texts(watch, "expected") if "Steroids raise blood sugar" in t]
    assert checks_before(plan, plan.doses[0]) == ["Check blood sugar", "Check blood pressure"]
    home = plan_of(ACTH.format(days=5, extra='given_by = "patient"'), 'conditions = ["diabetes"]')
    assert checks_before(home, home.doses[0]) == []  # no nurse at home


@pytest.mark.parametrize(("days", "adrenal"), [(20, False), (21, True)])
def test_acth_adrenal_note_after_a_long_course(
    plan_of: Callable[..., Plan], days: int, adrenal: bool
) -> None:
    plan = plan_of(ACTH.format(days=days, extra='given_by = "patient"'))
    assert ("adrenal" in [w.code for w in plan.warnings]) is adrenal
    watch = watch_list(plan)
    after = [g for g in watch.groups if g.label.startswith("After the last dose")]
    if adrenal:
        assert after[0].label == f"After the last dose (days {days + 1}–…)"
        assert after[0].first_day == days + 1
        assert "This can be an adrenal crisis." in " ".join(i.text for i in after[0].items)
    else:
        assert after == []


def test_ivig_tiers_and_window_run_to_day_4_after_the_last_infusion(tmp_path: Path) -> None:
    # M5, clinical-reference-2 §7.
    ivig = watch_list(template_plan("ivig-5-day", tmp_path))
    assert labels(ivig) == ["Days 1–9, IVIG and the 4 days after the last dose"]
    assert (ivig.groups[0].first_day, ivig.groups[0].last_day) == (1, 9)
    emergency = texts(ivig, "emergency")
    assert (
        "Chest pain; or sudden weakness or numbness on one side of the body, trouble speaking, "
        "or loss of sight." in emergency
    )
    assert any(t.startswith("A painful, warm, swollen arm or leg") for t in emergency)
    assert "Very bad breathlessness, with or without a fever." in emergency
    assert [t[:30] for t in texts(ivig, "now")] == ["A very bad headache with a sti"]
    assert [t[:20] for t in texts(ivig, "call")] == ["Passing little urine", "Dark or red-brown ur"]


def test_plasma_exchange_tiers_and_the_line_until_removal(tmp_path: Path) -> None:
    # M5, clinical-reference-2 §7: line fever is "call now", bleeding and allergy are emergencies.
    plex = watch_list(template_plan("ms-plasma-exchange", tmp_path, "[]"))
    assert labels(plex) == ["Days 1–9, plasma exchange"]  # the last session: the line comes out
    assert texts(plex, "now") == [
        "A fever of 38 °C (100.4 °F) or more, chills or shivering while you have the line "
        "(catheter) in, or soon after it comes out.",
        "Redness, warmth or pus where the line goes into your skin.",
    ]
    assert texts(plex, "emergency") == [
        "Fainting.",
        "A fever or chills with feeling faint, confused or short of breath.",
        "Bleeding from the line that does not stop.",
        "Hives, a swollen face or throat, or trouble breathing during or soon after a session.",
    ]
    assert not [t for t in texts(plex, "call") if "fever" in t]


def test_unknown_drug_has_no_items_and_says_so(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of(
        '[[phase]]\ndrug = "Ocrelizumab"\nclass = "other"\ntablets = ["100 mg"]\ndose = "100 mg"\n'
        'days = 2\nat = ["08:00"]\n'
    )
    watch = watch_list(plan)
    assert labels(watch) == [
        "Days 1–2, ocrelizumab: taper has no watch list for this medicine; ask the care team "
        "what to watch for"
    ]
    assert watch.groups[0].items == ()
    assert all(items == [] for items in watch.by_tier().values())


# -- conditions -----------------------------------------------------------------------------------


def test_conditions_fixture() -> None:
    plan = load_plan(REGIMENS / "clin-ms-conditions.toml", today=TODAY)
    watch = watch_list(plan)
    assert labels(watch) == [
        "Days 1–3, IV methylprednisolone",
        "Days 1–7, MS relapse",
        "Days 1–7, diabetes",
        "Days 1–3, breastfeeding",
        "Days 1–7, high blood pressure",
        "Days 1–7, glaucoma",
        "Days 1–7, osteoporosis",
        "Days 1–7, history of mental health problems",
        "Days 1–7, peptic ulcer",
        "Days 1–7, reflux",
        "Days 1–7, takes blood thinners",
        "Days 1–7, takes NSAIDs (anti-inflammatory painkillers)",
        "Days 4–5, prednisone, high dose",
        "Days 6–7, prednisone",
    ]
    call = texts(watch, "call")
    # diabetes: timed to the actual doses and the patient's meals
    assert (
        "Steroids raise blood sugar, mostly in the afternoon and evening after a morning dose. "
        "Your steroid doses are at 8:00 AM and 9:00 AM."
    ) in texts(watch, "expected")
    # a United States patient (America/New_York): 12-hour times, mg/dL first
    assert (
        "Check your blood sugar before or 1–2 hours after lunch (about 1:00 PM) and supper "
        "(about 7:00 PM). Call if readings stay above about 216 mg/dL (12 mmol/L)."
    ) in call
    # MS relapse (§6b)
    assert (
        "Sudden loss of sight, of walking, or of the use of an arm or leg: go to the hospital."
    ) in texts(watch, "emergency")
    assert (
        "A fever, chills or other signs of an infection. These can bring old MS symptoms "
        "back, which needs a different plan." in call
    )
    assert any("Keep taking your usual MS medicine" in t for t in call)
    assert any("call your neurologist" in t for t in call)
    # breastfeeding: after IV methylprednisolone only, on its days
    assert (
        "After each methylprednisolone drip, waiting 2–4 hours before you breastfeed "
        "lowers what reaches your baby." in texts(watch, "expected")
    )
    # "tell your care team" items, the stomach one once for four conditions
    for phrase in ("raise blood pressure", "pressure in the eye", "weaken bones", "mood problems"):
        assert sum(phrase in t for t in call) == 1
    assert sum("protect your stomach" in t for t in call) == 2


def test_breastfeeding_without_iv_methylprednisolone_adds_nothing(
    plan_of: Callable[..., Plan],
) -> None:
    plan = plan_of(
        '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 3\nat = ["08:00"]\n',
        'conditions = ["breastfeeding"]',
    )
    assert labels(watch_list(plan)) == ["Days 1–3, prednisone"]


def test_pregnancy_red_flags_are_now_or_emergency(plan_of: Callable[..., Plan]) -> None:
    # H7, clinical-reference-2 §9: obstetric red flags are for the maternity unit straight away
    # (tier "now") or the emergency number, never "call the clinic today".
    watch = watch_list(plan_of(IV, 'conditions = ["pregnancy"]'))
    group = next(g for g in watch.groups if g.label == "Days 1–3, pregnancy")
    by_tier = {tier: [i.text for i in group.items if i.tier == tier] for tier in TIERS}
    assert by_tier["emergency"] == [
        "Heavy bleeding from your vagina, or passing clots.",
        "Sharp or constant pain in your belly.",
    ]
    # The maternity unit is named with the number to ask for (issue 25, M4, L8).
    call = "Call your maternity unit (ask for the number and write it here: ________________)."
    assert by_tier["now"] == [
        f"Any bleeding or spotting from your vagina, or your waters breaking or leaking. {call}",
        f"Your baby moving less than usual, or differently. {call}",
        f"Painful contractions that come regularly. {call}",
        f"A severe headache, or new swelling of your face or hands. {call}",
        f"Any change in your eyesight. {call}",
        f"A fever, chills or other signs of an infection. {call}",
        f"Being sick again and again. {call}",
    ]
    assert by_tier["call"] == by_tier["expected"] == []
    assert not [t for t in texts(watch, "call") if "bleeding" in t or "contraction" in t]


def test_pregnancy_never_says_keep_taking_the_ms_medicine(plan_of: Callable[..., Plan]) -> None:
    keep = (
        "Keep taking your usual MS medicine unless your care team told you to stop. "
        "Call if you are not sure."
    )
    ask = (
        "Ask your MS team before your next dose of any MS medicine. "
        "Some must not be taken in pregnancy."
    )
    relapse = watch_list(plan_of(IV, 'conditions = ["ms-relapse"]'))
    assert keep in texts(relapse, "call") and ask not in texts(relapse, "call")
    pregnant = watch_list(plan_of(IV, 'conditions = ["ms-relapse", "pregnancy"]'))
    assert ask in texts(pregnant, "call")
    every_text = [i.text for g in pregnant.groups for i in g.items]
    assert not [t for t in every_text if "Keep taking your usual MS medicine" in t]
    assert render_watch_text(pregnant).count("Keep taking") == 0


def test_diabetes_times_follow_the_doses(plan_of: Callable[..., Plan]) -> None:
    phase = '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 3\nat = ["07:30"]\n'
    watch = watch_list(plan_of(phase, 'conditions = ["diabetes"]'))
    assert any(t.endswith("Your steroid doses are at 7:30 AM.") for t in texts(watch, "expected"))
    assert any("(about 12:30 PM) and supper (about 6:00 PM)" in t for t in texts(watch, "call"))


@pytest.mark.parametrize(
    ("zone", "doses", "meals", "sugar"),
    [
        # one style, decided in one place: 12-hour for America/*, 24-hour elsewhere
        (
            "America/Chicago",
            "7:30 AM and noon",
            "(about 12:30 PM) and supper (about 6:00 PM)",
            "216 mg/dL (12 mmol/L)",
        ),
        (
            "America/Toronto",
            "7:30 AM and noon",
            "(about 12:30 PM) and supper (about 6:00 PM)",
            "12 mmol/L (216 mg/dL)",
        ),
        (
            "Europe/Stockholm",
            "07:30 and noon",
            "(about 12:30) and supper (about 18:00)",
            "12 mmol/L (216 mg/dL)",
        ),
        (
            "Pacific/Honolulu",
            "07:30 and noon",
            "(about 12:30) and supper (about 18:00)",
            "216 mg/dL (12 mmol/L)",
        ),
    ],
)
def test_watch_times_and_sugar_units_follow_the_zone(
    tmp_path: Path, zone: str, doses: str, meals: str, sugar: str
) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        f'start = 2026-12-01\ntimezone = "{zone}"\n[patient]\nconditions = ["diabetes"]\n'
        '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 3\nat = ["07:30", "12:00"]\n',
        encoding="utf-8",
    )
    watch = watch_list(load_plan(path, today=date(2026, 11, 22)))
    assert any(t.endswith(f"Your steroid doses are at {doses}.") for t in texts(watch, "expected"))
    call = " ".join(texts(watch, "call"))
    assert meals in call
    assert f"Call if readings stay above about {sugar}." in call


# -- reminders, nurse checks, output --------------------------------------------------------------


def test_reminder_line(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of(IV)
    assert reminder_line(plan, plan.doses[0]) == (
        "Call the clinic today: A fever, chills or other signs of an infection."
    )
    ms = plan_of(IV, 'conditions = ["ms-relapse", "diabetes"]')
    assert reminder_line(ms, ms.doses[0]) == (
        "Emergency, call 911: Sudden loss of sight, of walking, or of the use of an arm or leg: "
        "go to the hospital."
    )
    diabetic = plan_of(IV, 'conditions = ["diabetes"]')
    line = reminder_line(diabetic, diabetic.doses[0])
    assert line is not None and line.startswith("Call the clinic today: Check your blood sugar")
    unknown = plan_of(
        '[[phase]]\ndrug = "Ocrelizumab"\nclass = "other"\ntablets = ["100 mg"]\ndose = "100 mg"\n'
        'days = 2\nat = ["08:00"]\n'
    )
    assert reminder_line(unknown, unknown.doses[0]) is None


def test_checks_before(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of(
        IV + '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 2\nat = ["08:00"]\n',
        'conditions = ["diabetes", "hypertension"]',
    )
    iv_dose, oral_dose = plan.doses[0], plan.doses[-1]
    assert checks_before(plan, iv_dose) == ["Check blood sugar", "Check blood pressure"]
    assert checks_before(plan, oral_dose) == []
    assert checks_before(plan_of(IV), plan_of(IV).doses[0]) == []


def test_render_watch_text(plan_of: Callable[..., Plan]) -> None:
    plan = plan_of('[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 3\nat = ["08:00"]\n')
    assert render_watch_text(watch_list(plan), call_clinic(plan)) == (
        "== Expected and usually mild (mention it at your next visit) ==\n"
        "  - You may find it hard to sleep.\n"
        "  - Your stomach may feel upset, or you may get heartburn.\n"
        "\n"
        "== Call the clinic today ==\n"
        "  (Call the clinic at 212-555-0100.)\n"
        "  - A fever, chills or other signs of an infection.\n"
        "  - You have been near someone with chickenpox, shingles or measles.\n"
        "  - A big change in mood: feeling very low, very high, or muddled.\n"
        "  - Black or bloody stools.\n"
        "\n"
        "== Emergency: call 911 or go to the emergency department ==\n"
        "  - Thoughts of harming yourself.\n"
        "  - Signs of a serious allergic reaction: trouble breathing, or a swollen face or "
        "throat.\n"
        "\n"
        "== By days ==\n"
        "Days 1–3, prednisone\n"
        "  expected: You may find it hard to sleep.\n"
        "  expected: Your stomach may feel upset, or you may get heartburn.\n"
        "  call: A fever, chills or other signs of an infection.\n"
        "  call: You have been near someone with chickenpox, shingles or measles.\n"
        "  call: A big change in mood: feeling very low, very high, or muddled.\n"
        "  call: Black or bloody stools.\n"
        "  emergency: Thoughts of harming yourself.\n"
        "  emergency: Signs of a serious allergic reaction: trouble breathing, or a swollen "
        "face or throat.\n"
    )


def test_watch_command(runner: CliRunner) -> None:
    path = REGIMENS / "clin-ms-conditions.toml"
    result = runner.invoke(main, ["watch", str(path)], catch_exceptions=False)
    assert result.exit_code == 0
    # The same list, with the ordinary spaces of plain text where the handouts keep "8:00 AM"
    # together with a no-break space.
    plan = load_plan(path, today=TODAY)
    listed = render_watch_text(watch_list(plan), call_clinic(plan))
    assert "8:00\u00a0AM" in listed
    assert result.output == listed.replace("\u00a0", " ")
    assert "\u00a0" not in result.output
    assert "Your steroid doses are at 8:00 AM and 9:00 AM." in result.output
    assert (
        "\nDays 1–7, MS relapse\n  call: A fever, chills or other signs of an infection."
        in result.output
    )
    assert "\n  emergency: Sudden loss of sight, of walking" in result.output


def test_watch_command_on_a_bad_regimen(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('start = 2026-12-01\ntimezone = "America/New_York"\n', encoding="utf-8")
    result = runner.invoke(main, ["watch", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        "Error: bad.toml: 1 problem found\n"
        "  bad.toml: phase: no [[phase]] is given; a regimen needs at least one phase\n"
    )


def test_steroid_condition_items_stay_off_a_course_without_steroids(
    write_regimen: Callable[..., Path],
) -> None:
    body = (
        'start = 2026-12-01\ntimezone = "UTC"\n[care_team]\nemergency = "112"\n'
        '[patient]\nweight = "70 kg"\n'
        'conditions = ["hypertension", "glaucoma", "osteoporosis", "psychiatric-history",'
        ' "reflux", "nsaids"]\n'
    )
    ivig = body + (
        '[[phase]]\ndrug = "ivig"\ndose = "0.4 g/kg"\ndays = 5\nat = ["09:00"]\nduration = "4 h"\n'
    )
    steroid = body + '[[phase]]\ndrug = "prednisone"\ndose = "20 mg"\ndays = 5\nat = ["08:00"]\n'
    ivig_texts = [
        i.text for i in watch_list(load_plan(write_regimen(ivig, "a.toml"))).by_tier()["call"]
    ]
    steroid_texts = [
        i.text for i in watch_list(load_plan(write_regimen(steroid, "b.toml"))).by_tier()["call"]
    ]
    assert not [t for t in ivig_texts if "teroid" in t or "stomach" in t]
    assert len([t for t in steroid_texts if "teroid" in t or "stomach" in t]) == 6


def test_reminders_carry_the_plans_emergency_number(write_regimen: Callable[..., Path]) -> None:
    text = (
        'start = 2026-12-01\ntimezone = "Europe/Stockholm"\n[care_team]\nphone = "08-123 456"\n'
        '[patient]\nconditions = ["ms-relapse"]\n' + IV
    )
    plan = load_plan(write_regimen(text), today=TODAY)
    assert reminder_line(plan, plan.doses[0]) == (
        "Emergency, call 112: Sudden loss of sight, of walking, or of the use of an arm or leg: "
        "go to the hospital."
    )
    from taper.export.ics import render_ics

    calendar = render_ics(plan, stamp=datetime(2026, 11, 22, tzinfo=UTC)).decode("utf-8")
    unfolded = calendar.replace("\r\n ", "")
    assert "Emergency\\, call 112:" in unfolded and "911" not in unfolded
