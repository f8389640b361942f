"""The fixed words of the handouts: titles, headings, column heads and the short sentences
that do not depend on the plan. Kept here with the rest of the voice, so that a layout module
holds no words and a second language has one place to go."""

from __future__ import annotations

from taper.voice.lang import _, p_


class _Patient:
    """The patient handout's fixed words, in the language being rendered."""

    @property
    def document(self) -> str:
        return _("Your treatment plan")

    @property
    def team(self) -> str:
        return _("Your care team")

    @property
    def course(self) -> str:
        return _("Your course at a glance")

    @property
    def when(self) -> str:
        return p_("column head", "When")

    @property
    def what(self) -> str:
        return p_("column head", "What")

    @property
    def good_to_know(self) -> str:
        return _("Good to know")

    @property
    def calendar(self) -> str:
        return _("Your calendar")

    @property
    def calendar_intro(self) -> str:
        return _(
            'Each day shows what to take and when. Days marked "no dose" are part of your '
            "course, but you take nothing from this plan that day."
        )

    @property
    def checklist(self) -> str:
        return _("Day by day")

    @property
    def checklist_intro(self) -> str:
        return _("Tick the box when you have taken each dose or done each check.")

    # A caregiver's page (given_by = "caregiver"): the parent gives, the child takes (L1).
    @property
    def calendar_intro_caregiver(self) -> str:
        return _(
            'Each day shows what to give and when. Days marked "no dose" are part of the '
            "course, but your child takes nothing from this plan that day."
        )

    @property
    def checklist_intro_caregiver(self) -> str:
        return _("Tick the box when you have given each dose or done each check.")

    @property
    def day(self) -> str:
        return p_("column head", "Day")

    @property
    def done(self) -> str:
        return p_("column head", "Done")

    @property
    def time(self) -> str:
        return p_("column head", "Time")

    @property
    def to_do(self) -> str:
        return _("What to take or do")

    box = "☐"

    @property
    def watch(self) -> str:
        return _("What to watch for")

    @property
    def watch_intro(self) -> str:
        return _(
            "Steroids and the other treatments in this plan can cause side effects. Most are "
            "mild and go away after the course. Keep this page where you can find it."
        )

    @property
    def nothing_listed(self) -> str:
        return _("Nothing listed for this course. If you are worried, call the clinic.")

    @property
    def nothing_listed_emergency(self) -> str:
        # The emergency tier is never empty and never says "call the clinic" (issue 25, H1).
        return _(
            "taper has no emergency signs listed for this medicine. Ask your care team which "
            "signs need emergency help. If you feel seriously unwell, do not wait: call for "
            "help now."
        )

    @property
    def call_signs(self) -> str:
        return _("Call the clinic the same day if you have any of these:")

    @property
    def call_signs_caregiver(self) -> str:
        return _("Call the clinic the same day if your child has any of these:")


Patient = _Patient()


class Staff:
    """What both staff sheets print."""

    patient = "Patient"
    language = "Patient's language"
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
    capsule_step_heads = ("Days", "Dates", "Time", "Dose", "Capsules", "Doses", "Step total")
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
    signoff = "Verification and sign-off"
    supplied_heads = ("Product", "The plan needs", "Supplied (quantity, brand, batch, expiry)")
    nothing_supplied = "No product is supplied for this course."


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


def page_of(number: int, total: int, code: str | None = None) -> str:
    """The footer's ``Page 2 of 5``, with the plan's fingerprint when given:
    ``Plan K7Q2M4XZPA · Page 2 of 5``."""
    if code:
        # Translators: every page's footer. {code}: the plan's fingerprint, 10 letters and
        # digits such as K7Q2M4XZPA (never translated); {number} of {total}: 2 of 5.
        return _("Plan {code} · Page {number} of {total}", code=code, number=number, total=total)
    return _("Page {number} of {total}", number=number, total=total)
