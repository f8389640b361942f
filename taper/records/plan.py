"""The plan: immutable day and dose records produced by ``taper.engine.schedules.build_plan``.

Records are NamedTuples rather than frozen dataclasses: a command builds them on every run, and
creating a dataclass class costs about 1.4 ms at import against 0.25 ms for a NamedTuple, which
is a tenth of the start-up budget of ``taper plan`` over its libraries. Modules that define
records do not import ``annotations`` from ``__future__``: typing.NamedTuple compiles a string
annotation into a ForwardRef, which cost this module's 20 records 4 ms at every start
(tests/test_speed.py keeps them objects).

Exports (JSON, iCalendar, PDF) read only these records. Amounts are ``Decimal`` so that
2.5 mg stays exact; times are local wall-clock ``HH:MM`` strings in the plan's zone, with the
instant they denote (``starts``, an aware datetime) computed once by the engine.
"""

from collections.abc import Callable, Hashable
from datetime import date, datetime
from decimal import Decimal
from typing import Generic, NamedTuple, TypeVar

#: What ``plan.json`` says it is (its ``schema``); a previous plan must say the same.
SCHEMA_ID = "taper-plan/1"


class TabletCount(NamedTuple):
    """``count`` tablets of one strength; the count is in halves when splitting is allowed."""

    strength: Decimal
    unit: str
    # Shadows tuple.count on purpose: "count" is the contract's name (plan.schema.json).
    count: Decimal  # type: ignore[assignment]
    form: str = "tablet"  # tablet | capsule: the word every sheet uses for it (a capsule is whole)


class Basis(NamedTuple):
    """How a per-weight dose was worked out: ordered × size = uncapped, then any cap.

    ``2 mg/kg × 34.9 kg = 69.8 mg, capped at 60 mg``: ordered 2 mg/kg, size 34.9 (kg),
    uncapped 69.8, capped 60 (the amount the cap allows, before rounding to a dose the tablets
    or the syringe make). The dose's own ``amount`` is what is given.
    """

    ordered: Decimal
    ordered_unit: str  # mg/kg | g/kg | mg/m2 | g/m2
    size: Decimal  # the weight in kg, or the body surface area in m²
    uncapped: Decimal  # ordered × size, in ``unit``
    unit: str  # mg | g
    capped: Decimal | None = None  # what the cap allows, when it applies
    cap: Decimal | None = None  # the cap that applied, in ``unit`` (a day's total for max_daily)
    cap_kind: str | None = None  # max | max_daily

    @property
    def per(self) -> str:
        """``kg`` or ``m2``."""
        return self.ordered_unit.split("/", 1)[1]

    @property
    def allowed(self) -> Decimal:
        """The amount ordered after the cap (before rounding to a makeable dose)."""
        return self.capped if self.capped is not None else self.uncapped


class Dose(NamedTuple):
    """One dose (or procedure session) at one local time on one course day."""

    day: int
    date: date
    time: str  # local wall-clock HH:MM, after any daylight-saving move
    starts: datetime  # aware, in the plan's zone
    phase: str
    drug: str  # catalogue id when known, otherwise the name as entered (lower case)
    drug_name: str  # display name ("Prednisone", "Plasma exchange")
    route: str  # oral | iv | im | sc | procedure
    amount: Decimal | None  # None for a procedure
    unit: str | None  # mg | g | mcg | units; None for a procedure
    tablets: tuple[TabletCount, ...]
    volume_ml: Decimal | None
    duration_min: int | None
    where: str | None = None
    slot: str | None = None  # routine slot name when `at` named one ("breakfast")
    session: int | None = None  # procedure session number (1-based)
    sessions: int | None = None  # procedure sessions in the phase
    basis: Basis | None = None  # a per-weight dose: how it was worked out
    # What the voice needs to word the dose (taper.voice.doses.dose_instructions); the plan
    # carries no sentences, only these keys and numbers.
    take: str | None = None  # the phase's own words, as the clinician wrote them ("with food")
    liquid: str | None = None  # the concentration's text when measured from a liquid
    push: bool = False  # an IV dose given as an injection into a vein (IV push, issue 12)
    caregiver: bool = False  # given_by = "caregiver": "give your child..." (issue 25, L1)


class Event(NamedTuple):
    """A medicine, check or appointment from ``[[also]]`` at one local time."""

    day: int
    date: date
    time: str
    starts: datetime
    kind: str  # medication | check | appointment
    what: str
    index: int  # type: ignore[assignment]  # which [[also]] entry (1-based), shadows tuple.index
    duration_min: int | None = None
    where: str | None = None
    slot: str | None = None


class Day(NamedTuple):
    """One calendar day of the course; ``doses`` is empty on a day without a dose."""

    day: int
    date: date
    doses: tuple[Dose, ...]
    events: tuple[Event, ...]
    phases: tuple[str, ...]  # names of the phases this day belongs to (off days included)


class StepDose(NamedTuple):
    """What is given at one time of day within a step."""

    time: str
    slot: str | None
    amount: Decimal | None
    unit: str | None
    tablets: tuple[TabletCount, ...]
    volume_ml: Decimal | None
    basis: Basis | None = None


class StepPlan(NamedTuple):
    """A run of days with the same doses (a phase has one or more), for sigs and summaries."""

    first_day: int
    last_day: int
    days: int
    every: int
    doses: tuple[StepDose, ...]
    every_hours: int | None = None  # a round-the-clock series: one dose every N hours
    series_doses: int | None = None  # doses in a round-the-clock series
    max_dose: str | None = None  # the cap on each dose, as entered ("60 mg")
    max_daily: str | None = None  # the cap on the day's total


class PhasePlan(NamedTuple):
    """A phase as scheduled: its place in the course and its steps."""

    index: int  # type: ignore[assignment]  # 1-based position in the file, shadows tuple.index
    name: str
    drug: str
    drug_name: str
    route: str
    first_day: int
    last_day: int
    steps: tuple[StepPlan, ...]
    take: str | None
    where: str | None
    duration_min: int | None
    allow: tuple[str, ...]
    split: bool
    liquid: str | None  # "5 mg/5 mL" as entered
    sessions: int | None
    known_drug: bool
    drug_class: str | None  # steroid | acth | ivig | plasma-exchange | None
    every_hours: int | None = None  # every = "6h"
    pack: str | None = None  # the dose pack's name
    given_by: str = "patient"  # staff | patient | caregiver
    vial: str | None = None  # "5 mL": dispensed as whole multi-dose vials
    injector: str | None = None  # "80 units": dispensed as whole single-dose injectors
    missed: str | None = None  # the prescriber's missed-dose advice (replaces the default)
    solid_form: str = "tablet"  # tablet | capsule (form = "capsule", or the catalogue's)


class DispenseLine(NamedTuple):
    """Tablets of one strength to dispense for the whole course."""

    drug: str
    drug_name: str
    strength: Decimal
    unit: str
    # Shadows tuple.count on purpose: "count" is the contract's name (plan.schema.json).
    count: Decimal  # type: ignore[assignment]
    form: str = "tablet"  # tablet | capsule


class LiquidLine(NamedTuple):
    """Millilitres of one liquid to dispense for the whole course."""

    drug: str
    drug_name: str
    liquid: str  # "5 mg/5 mL"
    volume_ml: Decimal


class ContainerLine(NamedTuple):
    """Whole vials or injectors of one product to dispense for the course."""

    drug: str
    drug_name: str
    kind: str  # vial | injector
    size: str  # "5 mL", "80 units"
    # Shadows tuple.count on purpose, as in DispenseLine.
    count: int  # type: ignore[assignment]
    used: str  # what the doses use: "21 mL", "14 × 80 units"
    liquid: str | None = None  # "80 units/mL"


class PackLine(NamedTuple):
    """Dose packs to dispense for one phase, and the tablets its plan leaves in them."""

    drug: str
    drug_name: str
    pack: str  # "methylprednisolone 4 mg dose pack"
    packs: int
    tablets_per_pack: int
    strength: Decimal
    unit: str
    used: Decimal  # tablets the plan gives
    left_over: Decimal
    phase: str
    first_day: int
    source: str


class FillPeriod(NamedTuple):
    """What one fill supplies: the days it covers and the quantities for them, in whole tablets
    and containers (a tablet split, or a vial opened, in one fill is counted in that fill)."""

    number: int
    first_day: int
    last_day: int
    dispense: tuple[DispenseLine, ...]
    liquids: tuple[LiquidLine, ...]
    packs: tuple[PackLine, ...]
    containers: tuple[ContainerLine, ...] = ()


class Total(NamedTuple):
    """The total amount of one drug over the course, and its prednisone equivalent."""

    drug: str
    drug_name: str
    amount: Decimal
    unit: str
    prednisone_equivalent_mg: Decimal | None = None
    equivalence_approximate: bool = False
    # Why there is no prednisone equivalent: "depot" (a depot injection) or "im" (an injection
    # into a muscle); None when there is one.
    equivalence_note: str | None = None


class Warning(NamedTuple):
    """A warning with a stable ``code``; ``place`` is where in the regimen it comes from."""

    code: str
    message: str
    place: str = ""


class Patient(NamedTuple):
    name: str | None
    weight_kg: Decimal | None
    weight: str | None  # as entered ("154 lb")
    conditions: tuple[str, ...]
    height_cm: Decimal | None = None
    height: str | None = None  # as entered ("47 in")
    bsa_m2: Decimal | None = None  # Mosteller


class CareTeam(NamedTuple):
    clinic: str | None = None
    phone: str | None = None
    after_hours: str | None = None
    prescriber: str | None = None
    nurse: str | None = None
    pharmacy: str | None = None
    emergency: str | None = None  # as the file gave it; Plan.emergency is the number in use
    maternity: str | None = None  # the maternity unit's name
    maternity_phone: str | None = None
    oncology: str | None = None  # a cancer centre's 24-hour line
    oncology_phone: str | None = None


class Emergency(NamedTuple):
    """The emergency number the handouts print, and where it came from."""

    number: str
    country: str | None  # ISO 3166 code when it came from the time zone
    source: str  # "care_team.emergency" or "time zone Europe/Stockholm (SE): ..."


class PrescriberWatch(NamedTuple):
    """A prescriber's own watch item (``[[watch]]``) on the course days it covers."""

    tier: str  # emergency | now | call | expected
    text: str
    days: tuple[int, ...]
    replaces: tuple[str, ...] = ()  # ids of built-in items it stands in for


class Plan(NamedTuple):
    """The whole course, day by day, as the engine scheduled it."""

    title: str
    timezone: str
    start: date
    end: date
    revision: int
    patient: Patient
    care_team: CareTeam
    routine: tuple[tuple[str, str], ...]
    phases: tuple[PhasePlan, ...]
    days: tuple[Day, ...]
    dispense: tuple[DispenseLine, ...]
    totals: tuple[Total, ...]
    warnings: tuple[Warning, ...]
    liquids: tuple[LiquidLine, ...] = ()
    source: str = ""  # the regimen file's name, for messages only
    packs: tuple[PackLine, ...] = ()
    fills: tuple[FillPeriod, ...] = ()  # one period for the whole course unless fill is given
    fill_days: int | None = None  # fill = "28 days"
    containers: tuple[ContainerLine, ...] = ()
    emergency: Emergency | None = None
    watch: tuple[PrescriberWatch, ...] = ()
    # course = "...": the course's name, kept across revisions (taper.read.identity)
    course: str | None = None
    language: str = "en"  # the patient's language ([patient] language); taper.voice.words
    # after = "stop" | "continue" (None: not said); "continue": the plan's last day is the end
    # of this supply, not of the treatment, and no sentence says the course stops
    after: str | None = None

    @property
    def continues(self) -> bool:
        """The patient keeps taking the drug after the plan's last day (after = "continue")."""
        return self.after == "continue"

    @property
    def doses(self) -> tuple[Dose, ...]:
        return tuple(dose for day in self.days for dose in day.doses)

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(event for day in self.days for event in day.events)

    @property
    def length(self) -> int:
        return len(self.days)


Made = TypeVar("Made")


class ByPlan(Generic[Made]):
    """What was worked out from each of the last few plans, kept by the plan's identity and a
    key (a language, an option): a packet asks many times (once a dose, once a handout) for
    what depends only on its plan. An equal plan that is another object is worked out again,
    which is always right; holding the plan keeps its identity from being reused."""

    def __init__(self, size: int = 4) -> None:
        self._size = size
        self._recent: list[tuple[Plan, Hashable, Made]] = []

    def get(self, plan: Plan, key: Hashable, make: Callable[[], Made]) -> Made:
        for seen, seen_key, made in self._recent:
            if seen is plan and seen_key == key:
                return made
        made = make()
        self._recent.insert(0, (plan, key, made))
        del self._recent[self._size :]
        return made

    def clear(self) -> None:
        self._recent.clear()
