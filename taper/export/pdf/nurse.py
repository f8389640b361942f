"""The nurse's sheet: appointments, checks before each, checks during the course and the
medicines alongside."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reportlab.platypus import (
    Flowable,
    KeepTogether,
)

from taper.export.pdf.layout import (
    STAFF_ROUTES,
    _bullets,
    _contacts,
    _date_of,
    _date_range,
    _days_text,
    _esc,
    _heading,
    _m,
    _p,
    _patient_block,
    _short_date,
    _sig_paragraphs,
    _spread,
    _Styles,
    _table,
    _take_of,
    _widths,
)
from taper.plan import Day, Dose, Event, Plan
from taper.words import dose_summary, minutes_text, phase_heading


def _nurse_story(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    from taper.watch import checks_before

    story: list[Flowable] = [
        _p("Nursing sheet: appointments and checks", styles.title),
        _patient_block(plan, styles, width),
    ]
    contacts = _contacts(plan, styles, width)
    story.extend(_heading("Contacts", styles, styles.h2))
    story.append(
        contacts if contacts is not None else _p("No contacts given in the regimen.", styles.body)
    )

    story.extend(_heading("Infusions, injections and procedures", styles, styles.h2))
    rows: list[list[Any]] = [
        [
            _p(h, styles.cell_bold)
            for h in ("Date", "Time", "Length", "What", "Where", "Checks before")
        ]
    ]
    appointments = 0
    for day in plan.days:
        checks = [e for e in day.events if e.kind == "check"]
        for dose in day.doses:
            if dose.route not in STAFF_ROUTES:
                continue
            appointments += 1
            before = [f"{c.what} ({c.time})" for c in checks if c.time <= dose.time]
            listed = {c.what.casefold() for c in checks if c.time <= dose.time}
            before += [text for text in checks_before(plan, dose) if text.casefold() not in listed]
            rows.append(
                _appointment_row(
                    plan,
                    day,
                    dose.time,
                    dose.duration_min,
                    _nurse_dose(plan, dose),
                    dose.where,
                    before,
                    styles,
                )
            )
        for event in day.events:
            if event.kind == "appointment":
                appointments += 1
                before = [f"{c.what} ({c.time})" for c in checks if c.time <= event.time]
                rows.append(
                    _appointment_row(
                        plan,
                        day,
                        event.time,
                        event.duration_min,
                        event.what,
                        event.where,
                        before,
                        styles,
                    )
                )
    if appointments:
        fixed = _widths(styles, "Wed Dec 30", "00:00", "Length")
        story.append(_table(rows, _spread(width, fixed, (0.36, 0.28, 0.36))))
    else:
        story.append(
            _p("No infusions, injections, procedures or appointments in this course.", styles.body)
        )

    story.extend(_heading("Checks during the course", styles, styles.h2))
    check_rows = _event_rows(plan, "check", styles)
    if check_rows:
        story.append(
            _table(
                [[_p(h, styles.cell_bold) for h in ("Check", "Times", "Days")], *check_rows],
                [width * 0.5, width * 0.2, width * 0.3],
            )
        )
    else:
        story.append(_p("No checks in the regimen.", styles.body))

    story.extend(_heading("Medicines alongside", styles, styles.h2))
    medicines = _event_rows(plan, "medication", styles)
    oral = [phase for phase in plan.phases if phase.route == "oral"]
    if medicines:
        story.append(
            _table(
                [[_p(h, styles.cell_bold) for h in ("Medicine", "Times", "Days")], *medicines],
                [width * 0.5, width * 0.2, width * 0.3],
            )
        )
    for phase in oral:
        dates = _date_range(_date_of(plan, phase.first_day), _date_of(plan, phase.last_day))
        story.append(
            KeepTogether(
                [
                    _p(f"{phase_heading(phase)} ({dates})", styles.h3),
                    *_sig_paragraphs(plan, phase, styles),
                ]
            )
        )
    if not medicines and not oral:
        story.append(_p("None listed in the regimen.", styles.body))

    if plan.warnings:
        story.extend(_heading("Warnings", styles, styles.h2))
        story.extend(_bullets([f"{w.message} [{w.code}]" for w in plan.warnings], styles))
    return story


def _nurse_dose(plan: Plan, dose: Dose) -> str:
    text = dose_summary(dose)
    take = _take_of(plan, dose)
    return f"{text}, {take}" if take else text


def _appointment_row(
    plan: Plan,
    day: Day,
    time: str,
    minutes: int | None,
    what: str,
    where: str | None,
    checks: list[str],
    styles: _Styles,
) -> list[Any]:
    return [
        _m(
            f"<b>{_esc(_short_date(day.date))}</b><br/>{day.date.year}<br/>"
            f"day {day.day} of {plan.length}",
            styles.cell,
        ),
        _p(time, styles.cell_bold),
        _p(minutes_text(minutes) or "—", styles.cell),
        _p(what, styles.cell),
        _p(where or "—", styles.cell),
        _m("<br/>".join(f"☐ {_esc(check)}" for check in checks) or "—", styles.cell),
    ]


def _event_rows(plan: Plan, kind: str, styles: _Styles) -> list[list[Any]]:
    by_index: dict[int, list[Event]] = defaultdict(list)
    for event in plan.events:
        if event.kind == kind:
            by_index[event.index].append(event)
    rows: list[list[Any]] = []
    for events in by_index.values():
        days = sorted({e.day for e in events})
        times = ", ".join(dict.fromkeys(e.time for e in events))
        if days == list(range(days[0], days[-1] + 1)):
            span = _days_text(days[0], days[-1])
        else:
            span = "days " + ", ".join(str(d) for d in days)
        dates = _date_range(_date_of(plan, days[0]), _date_of(plan, days[-1]))
        rows.append(
            [
                _p(events[0].what, styles.cell),
                _p(times, styles.cell),
                _p(f"{span} ({dates})", styles.cell),
            ]
        )
    return rows
