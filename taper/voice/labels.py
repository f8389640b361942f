"""The fixed words of the handouts: titles, headings, column heads and the short sentences
that do not depend on the plan. Kept here with the rest of the voice, so that a layout module
holds no words and a second language has one place to go."""

from __future__ import annotations


class Patient:
    """The patient handout."""

    document = "Your treatment plan"
    team = "Your care team"
    course = "Your course at a glance"
    when = "When"
    what = "What"
    good_to_know = "Good to know"
    calendar = "Your calendar"
    calendar_intro = (
        'Each day shows what to take and when. Days marked "no dose" are part of your course, '
        "but you take nothing from this plan that day."
    )
    checklist = "Day by day"
    checklist_intro = "Tick the box when you have taken each dose or done each check."
    day = "Day"
    done = "Done"
    time = "Time"
    to_do = "What to take or do"
    box = "☐"
    watch = "What to watch for"
    watch_intro = (
        "Steroids and the other treatments in this plan can cause side effects. Most are mild "
        "and go away after the course. Keep this page where you can find it."
    )
    nothing_listed = "Nothing listed for this course. If you are worried, call the clinic."
    # The emergency tier is never empty and never says "call the clinic" (issue 25, H1).
    nothing_listed_emergency = (
        "taper has no emergency signs listed for this medicine. Ask your care team which signs "
        "need emergency help. If you feel seriously unwell, do not wait: call for help now."
    )
    call_signs = "Call the clinic the same day if you have any of these:"


class Staff:
    """What both staff sheets print."""

    patient = "Patient"
    weight = "Weight"
    height = "Height"
    conditions = "Conditions"
    course = "Course"
    revision = "Revision"
    warnings = "Warnings"


class Pharmacist:
    """The dispensing sheet."""

    document = "Dispensing sheet"
    contacts = "Prescriber and contacts"
    dispense = "Dispense"
    dispense_heads = ("Drug", "Strength / form", "Quantity for the course")
    nothing_to_dispense = "No tablets or liquids to dispense to the patient."
    staff_supply = "Given by staff (supply to the unit)"
    staff_heads = ("Phase", "Drug and route", "Each dose", "Doses", "Total")
    fills = "Each fill"
    fill_heads = ("Fill", "Drug", "Strength / form", "Quantity")
    worked_out = "Doses per kg or per m²: how they were worked out"
    sig = "Directions (sig)"
    step_heads = ("Days", "Dates", "Time", "Dose", "Tablets or volume", "Doses", "Step total")
    totals = "Totals"
    total_heads = ("Drug", "Total for the course", "Prednisone equivalent")
    equivalents_note = (
        "Prednisone equivalents count the oral and IV doses only: the equivalence ratios hold "
        "for those routes."
    )
    nothing_dosed = "No dosed medicine in this course."
    overrides = "Prescriber overrides"
    no_overrides = "None: no phase carries an allow = [...] override."
    override_heads = ("Phase", "Override", "Details")
    warning_heads = ("Code", "Warning", "Place")
    no_warnings = "No warnings for this course."
    counselling = "Counselling points"
    changed_heads = ("Dates", "Before", "Now")
    nothing_changed = "No dose changed."
    supply_heads = ("Drug", "Strength / form", "Before", "Now", "Still to supply")


class Nurse:
    """The nursing sheet."""

    document = "Nursing sheet"
    title = "Nursing sheet: appointments and checks"
    contacts = "Contacts"
    no_contacts = "No contacts given in the regimen."
    visits = "Infusions, injections and procedures"
    visit_heads = ("Date", "Time", "Length", "What", "Where", "Checks before")
    # The widest short date and time, to size those columns.
    date_sample = "Wed Dec 30"
    time_sample = "00:00"
    no_visits = "No infusions, injections, procedures or appointments in this course."
    checks = "Checks during the course"
    check_heads = ("Check", "Times", "Days")
    no_checks = "No checks in the regimen."
    medicines = "Medicines alongside"
    medicine_heads = ("Medicine", "Times", "Days")
    no_medicines = "None listed in the regimen."


def page_of(number: int, total: int) -> str:
    """The footer's ``Page 2 of 5``."""
    return f"Page {number} of {total}"
