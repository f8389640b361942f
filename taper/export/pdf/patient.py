"""The patient handout: the course at a glance, the month calendar, the day-by-day checklist
and the watch list."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Spacer,
    Table,
    TableStyle,
)

from taper.catalogue import read_data
from taper.export.pdf.layout import (
    FONT,
    INK,
    MONTHS,
    NBSP,
    OUTSIDE,
    PHASE_TINTS,
    RULE,
    SHADE,
    STAFF_ROUTES,
    TIER_COLOURS,
    WEEKDAYS,
    _amount,
    _and,
    _b,
    _boxed,
    _bullets,
    _clock,
    _count_words,
    _date_of,
    _date_range,
    _esc,
    _every_text,
    _font,
    _heading,
    _long_date,
    _m,
    _most_tablets,
    _nb,
    _p,
    _person,
    _plain,
    _step_total,
    _Styles,
    _table,
    _tablet_phrase,
    _tablet_word,
    _tablets_total,
    _take_is_food,
    _take_of,
    _team_entries,
)
from taper.plan import Day, Dose, Event, PhasePlan, Plan, StepDose, StepPlan
from taper.units import format_number
from taper.words import ROUTE_WORDS, count_text, dose_summary, minutes_text, phase_heading


def _when_patient(dose: StepDose | Dose) -> str:
    slot = f" ({dose.slot})" if dose.slot else ""
    return f"at {_clock(dose.time)}{slot}"


def _patient_dose(plan: Plan, dose: Dose) -> str:
    """``Prednisone 60 mg: 3 × 20 mg tablets, with food``."""
    text = dose_summary(dose)
    take = _take_of(plan, dose)
    if take:
        text += f", {take}"
    if any(t.count != int(t.count) for t in dose.tablets):
        text += ". Cut a tablet in half along the line"
    if dose.route in STAFF_ROUTES:
        extra = []
        if dose.duration_min:
            extra.append(f"about {minutes_text(dose.duration_min)}")
        if dose.where:
            extra.append(f"at {dose.where}")
        if extra:
            text += ", " + ", ".join(extra)
    return text


def _patient_step(phase: PhasePlan, step: StepPlan) -> str:
    doses = step.doses
    if not doses:
        return "no dose"
    unit = doses[0].unit
    often = "" if step.every == 1 else f", {_every_text(step.every)}"
    if len(doses) == 1:
        dose = doses[0]
        detail = ""
        if dose.tablets:
            detail = f" ({_tablet_phrase(dose.tablets)})"
        elif dose.volume_ml is not None:
            detail = f" ({format_number(dose.volume_ml)} mL)"
        kind = {
            "iv": " infusion (IV drip)",
            "sc": " injection under the skin",
            "im": " injection into a muscle",
        }.get(phase.route, "")
        return (
            f"{_amount(dose.amount, unit)}{kind}{detail} once a day"
            f"{often if often else ''} {_when_patient(dose)}"
        )
    pieces = [
        f"{_amount(d.amount, d.unit)}"
        + (f" ({_tablet_phrase(d.tablets)})" if d.tablets else "")
        + f" {_when_patient(d)}"
        for d in doses
    ]
    return f"{_amount(_step_total(step), unit)} a day in {len(doses)} doses{often}: " + _and(pieces)


def _patient_phase_rows(plan: Plan, phase: PhasePlan, styles: _Styles) -> list[list[Any]]:
    rows: list[list[Any]] = []
    route = "" if phase.route == "procedure" else f", {ROUTE_WORDS[phase.route]}"
    if phase.route == "iv":
        route = ", by infusion (IV drip)"
    take = f", {phase.take.strip()}" if phase.take else ""
    where = f", at {phase.where}" if phase.where and phase.route != "oral" else ""
    length = (
        f", about {minutes_text(phase.duration_min)} each"
        if phase.duration_min and phase.route != "oral"
        else ""
    )
    what = phase.drug_name if phase.drug_name.casefold() != phase.name.casefold() else ""
    about = (what + route + take + length + where).lstrip(", ")
    head = _b(phase.name) + (f": {_esc(about)}" if about else "")
    dates = _date_range(_date_of(plan, phase.first_day), _date_of(plan, phase.last_day))
    days = _count_words(phase.last_day - phase.first_day + 1, "day")
    when = _m(f"<b>{_esc(dates)}</b><br/>{_esc(days)}", styles.cell)
    if phase.route == "procedure" or phase.sessions:
        step = phase.steps[0] if phase.steps else None
        every = step.every if step else 1
        often = "one a day" if every == 1 else _every_text(every)
        times = _and([_clock(d.time) for d in step.doses]) if step else ""
        text = f"{_count_words(phase.sessions or 0, 'session')}, {often}, at {times}."
        return [[when, _m(f"{head}<br/>{_esc(text)}", styles.cell)]]
    texts = []
    for step in phase.steps:
        text = _patient_step(phase, step)
        if step.every > 1:
            text += ". The days between are no-dose days"
        texts.append(text + ".")
    if len(phase.steps) == 1:
        return [[when, _m(f"{head}<br/>{_esc(texts[0])}", styles.cell)]]
    rows.append([when, _m(head, styles.cell)])
    for step, text in zip(phase.steps, texts, strict=True):
        first, last = _date_of(plan, step.first_day), _date_of(plan, step.last_day)
        rows.append(
            [
                _m(
                    f"{_esc(_date_range(first, last))}<br/>{_esc(_count_words(step.days, 'day'))}",
                    styles.cell,
                ),
                _p(text, styles.cell),
            ]
        )
    return rows


def _patient_story(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _p(plan.title, styles.title),
        _m(f"For {_b(_person(plan))}", styles.body),
        _m(
            f"From {_b(_long_date(plan.start))} to {_b(_long_date(plan.end))} "
            f"({_count_words(plan.length, 'day')})",
            styles.body,
        ),
    ]
    story.append(_team_box(plan, styles, width))
    story.extend(_heading("Your course at a glance", styles, styles.h2))
    rows: list[list[Any]] = [[_p("When", styles.cell_bold), _p("What", styles.cell_bold)]]
    for phase in plan.phases:
        rows.extend(_patient_phase_rows(plan, phase, styles))
    rows.extend(_also_rows(plan, styles))
    story.append(_table(rows, [width * 0.3, width * 0.7]))
    notes = _patient_notes(plan, styles)
    if notes:
        story.extend(_heading("Good to know", styles, styles.h2))
        story.extend(notes)
    story.append(PageBreak())
    story.extend(_calendar(plan, styles, width))
    story.append(PageBreak())
    story.extend(_checklist(plan, styles, width))
    story.append(PageBreak())
    story.extend(_watch_section(plan, styles, width))
    story.extend(_reminders_box(styles, width))
    return story


def _team_box(plan: Plan, styles: _Styles, width: float) -> Flowable:
    team = plan.care_team
    lines: list[Flowable] = [_p("Your care team", styles.h3)]
    entries = _team_entries(team)
    for label, value in entries:
        if value:
            lines.append(_m(f"{_esc(label)}: {_b(value)}", styles.body))
    lines.append(_m("In an emergency: <b>call 911</b>", styles.body))
    return _boxed(lines, width, background=colors.HexColor("#f4f7fb"))


def _also_rows(plan: Plan, styles: _Styles) -> list[list[Any]]:
    """The [[also]] medicines, checks and appointments, one row each."""
    rows: list[list[Any]] = []
    by_index: dict[int, list[Event]] = defaultdict(list)
    for event in plan.events:
        by_index[event.index].append(event)
    for events in by_index.values():
        first = events[0]
        days = sorted({e.day for e in events})
        times = _and([_clock(t) for t in dict.fromkeys(e.time for e in events)])
        dates = _date_range(_date_of(plan, days[0]), _date_of(plan, days[-1]))
        label = {"medication": "Also take", "check": "Check", "appointment": "Appointment"}[
            first.kind
        ]
        extra = []
        if first.duration_min:
            extra.append(f"about {minutes_text(first.duration_min)}")
        if first.where:
            extra.append(f"at {first.where}")
        often = (
            ""
            if len(days) == 1
            else (
                " every day" if days == list(range(days[0], days[-1] + 1)) else " on the days shown"
            )
        )
        detail = f"{first.what}{', ' + ', '.join(extra) if extra else ''}: {times}{often}."
        span = _count_words(days[-1] - days[0] + 1, "day")
        rows.append(
            [
                _m(
                    f"<b>{_esc(dates)}</b>" + (f"<br/>{_esc(span)}" if len(days) > 1 else ""),
                    styles.cell,
                ),
                _m(f"{_b(label)}: {_esc(detail)}", styles.cell),
            ]
        )
    return rows


def _patient_notes(plan: Plan, styles: _Styles) -> list[Flowable]:
    codes = {w.code for w in plan.warnings}
    notes: list[str] = []
    most = _most_tablets(plan)
    if "many-tablets" in codes and most is not None:
        notes.append(
            f"Some doses are many tablets: up to {count_text(most[0])} at one time. "
            "Count them out before you start. Take them a few at a time, with food "
            "and a drink of water."
        )
    if any(t.count != int(t.count) for d in plan.doses for t in d.tablets):
        notes.append(
            "Some doses use half a tablet. Cut the tablet along the line on it. "
            "Your pharmacist can help if it is hard to cut."
        )
    if any(d.route == "oral" for d in plan.doses) and any(
        _take_is_food(p.take) for p in plan.phases
    ):
        notes.append("Take your tablets with food. This helps protect your stomach.")
    if "adrenal" in codes:
        notes.append(
            "Do not stop taking your tablets early, and do not skip doses: after a "
            "course this long, stopping suddenly can make you unwell. If you cannot "
            "take a dose, call the clinic."
        )
    if any(not d.doses and d.phases for d in plan.days):
        notes.append(
            'Days marked "no dose" are part of your course, but there is no dose or '
            "session from this plan that day. Any check or other medicine listed for "
            "that day still applies."
        )
    return _bullets(notes, styles)


def _reminders_box(styles: _Styles, width: float) -> list[Flowable]:
    help_data = read_data("calendar_help.toml")
    lines: list[Flowable] = [
        _p(str(help_data["title"]), styles.h3),
        _p(str(help_data["intro"]), styles.body),
    ]
    lines.extend(
        _bullets(
            [f"{_b(str(tip['app']))}: {_esc(str(tip['text']))}" for tip in help_data["tip"]],
            styles,
            markup=True,
        )
    )
    return [Spacer(1, 10), KeepTogether([_boxed(lines, width)])]


def _months(plan: Plan) -> list[tuple[int, int]]:
    months: list[tuple[int, int]] = []
    for day in plan.days:
        key = (day.date.year, day.date.month)
        if key not in months:
            months.append(key)
    return months


def _calendar(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    by_date = {day.date: day for day in plan.days}
    tints = {
        phase.name: PHASE_TINTS[number % len(PHASE_TINTS)]
        for number, phase in enumerate(plan.phases)
    }
    story: list[Flowable] = []
    for number, (year, month) in enumerate(_months(plan)):
        first = date(year, month, 1)
        start = first - timedelta(days=(first.weekday() + 1) % 7)  # weeks start on Sunday
        header = [_p(name[:3], styles.cal_head) for name in (WEEKDAYS[6], *WEEKDAYS[:6])]
        rows: list[list[Any]] = [header]
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]
        cursor = start
        row_number = 0
        heights: list[float] = [0]
        while cursor.month == month or cursor < first:
            row_number += 1
            row: list[Any] = []
            busy = False
            for column in range(7):
                day = by_date.get(cursor)
                in_month = cursor.month == month
                row.append(_calendar_cell(cursor, day, in_month, styles))
                if day is not None and in_month:
                    busy = True
                    if day.phases:
                        commands.append(
                            (
                                "BACKGROUND",
                                (column, row_number),
                                (column, row_number),
                                tints[day.phases[0]],
                            )
                        )
                if day is None or not in_month:
                    commands.append(
                        ("BACKGROUND", (column, row_number), (column, row_number), OUTSIDE)
                    )
                cursor += timedelta(days=1)
            rows.append(row)
            # Weeks of the course get room to write in; the others stay short, so that a
            # month fits on its page.
            heights.append(styles.cal.leading * 6.5 if busy else 0)
        table = Table(
            rows,
            colWidths=[width / 7] * 7,
            repeatRows=1,
            style=TableStyle(commands),
            hAlign="LEFT",
            minRowHeights=heights,
        )
        title = _p(f"{MONTHS[month - 1]} {year}", styles.h2)
        intro: list[Flowable] = []
        if number == 0:
            intro = [
                _p("Your calendar", styles.title),
                _p(
                    'Each day shows what to take and when. Days marked "no dose" are part '
                    "of your course, but you take nothing from this plan that day.",
                    styles.body,
                ),
            ]
            intro.append(_legend(plan, styles, width, tints))
        story.extend(intro)
        story.append(KeepTogether([title, table]))
    return story


def _legend(plan: Plan, styles: _Styles, width: float, tints: dict[str, Any]) -> Flowable:
    cells: list[Any] = []
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
    ]
    for number, phase in enumerate(plan.phases):
        cells += ["", _p(phase.name, styles.small)]
        commands += [
            ("BACKGROUND", (2 * number, 0), (2 * number, 0), tints[phase.name]),
            ("BOX", (2 * number, 0), (2 * number, 0), 0.5, RULE),
        ]
    swatch = 12 * styles.scale
    label = (width - swatch * len(plan.phases)) / max(len(plan.phases), 1)
    rows = [cells]
    widths = [swatch if column % 2 == 0 else label for column in range(len(cells))]
    if len(plan.phases) > 3:
        # More phases than fit on one line: one line each.
        rows = [[cells[2 * n], cells[2 * n + 1]] for n in range(len(plan.phases))]
        commands = [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 4)]
        for number, phase in enumerate(plan.phases):
            commands += [
                ("BACKGROUND", (0, number), (0, number), tints[phase.name]),
                ("BOX", (0, number), (0, number), 0.5, RULE),
            ]
        widths = [swatch, width - swatch]
    return Table(rows, colWidths=widths, style=TableStyle(commands), hAlign="LEFT", spaceAfter=4)


def _calendar_cell(on: date, day: Day | None, in_month: bool, styles: _Styles) -> list[Any]:
    style = (
        styles.cal_date
        if in_month
        else ParagraphStyle("cal_out", parent=styles.cal_date, textColor=RULE)
    )
    cell: list[Any] = [_p(str(on.day), style)]
    if day is None or not in_month:
        return cell
    items: list[tuple[str, str]] = []
    for dose in day.doses:
        items.append((dose.time, _calendar_dose(dose)))
    for event in day.events:
        if event.kind == "appointment":
            items.append((event.time, f"<b>{_esc(_clock(event.time))}</b> {_esc(event.what)}"))
    if not items and not day.phases and day.events:
        cell.append(_p("no dose", styles.cal))
    items.sort(key=lambda item: item[0])
    if not day.doses and day.phases:
        cell.append(_p("no dose", styles.cal))
    cell.extend(_m(markup, styles.cal) for _, markup in items)
    return cell


def _calendar_dose(dose: Dose) -> str:
    """One dose in a calendar cell: short, and wrapping only between its parts."""
    time = f"<b>{_esc(_clock(dose.time))}</b>"
    if dose.session is not None:
        return f"{time} {_esc(dose.drug_name)} ({dose.session}{NBSP}of{NBSP}{dose.sessions})"
    amount = _esc(_nb(_amount(dose.amount, dose.unit)))
    if dose.tablets:
        count = _tablets_total(dose.tablets)
        return f"{time} {amount}: {_nb(f'{count_text(count)} {_tablet_word(count)}')}"
    if dose.route == "iv":
        return f"{time} {amount} infusion"
    if dose.route in ("im", "sc"):
        volume = (
            f" ({_nb(format_number(dose.volume_ml) + ' mL')})" if dose.volume_ml is not None else ""
        )
        return f"{time} {amount} injection{volume}"
    if dose.volume_ml is not None:
        return f"{time} {amount}: {_nb(format_number(dose.volume_ml) + ' mL')}"
    return f"{time} {amount}"


def _checklist(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _p("Day by day", styles.title),
        _p("Tick the box when you have taken each dose or done each check.", styles.body),
    ]
    day_width = width * 0.24
    inner = width - day_width
    box_width = pdfmetrics.stringWidth("Done", FONT, styles.small.fontSize) + 8
    time_width = pdfmetrics.stringWidth("12:30 PM", FONT, styles.cell.fontSize) + 10
    widths = [box_width, time_width, inner - box_width - time_width]
    header = [
        _p("Day", styles.cell_bold),
        Table(
            [
                [
                    _p("Done", styles.small),
                    _p("Time", styles.cell_bold),
                    _p("What to take or do", styles.cell_bold),
                ]
            ],
            colWidths=widths,
            style=_inner_style(header=True),
        ),
    ]
    rows: list[list[Any]] = [header]
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LEFTPADDING", (0, 0), (0, -1), 4),
        ("LEFTPADDING", (1, 0), (1, -1), 0),
        ("RIGHTPADDING", (1, 0), (1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    headings = {phase.name: phase for phase in plan.phases}
    current: tuple[str, ...] | None = None
    for day in plan.days:
        if not day.doses and not day.events and not day.phases:
            continue  # after the last phase, a day with nothing on it
        if day.phases != current:
            current = day.phases
            for name in day.phases:
                if headings[name].first_day == day.day or day is plan.days[0]:
                    rows.append([_p(phase_heading(headings[name]), styles.cell_bold), ""])
                    commands += [
                        ("SPAN", (0, len(rows) - 1), (1, len(rows) - 1)),
                        (
                            "BACKGROUND",
                            (0, len(rows) - 1),
                            (-1, len(rows) - 1),
                            colors.HexColor("#f4f4f4"),
                        ),
                    ]
        label = _m(
            f"<b>{_esc(WEEKDAYS[day.date.weekday()])}</b><br/>"
            f"{_esc(MONTHS[day.date.month - 1][:3])} {day.date.day}, {day.date.year}"
            f"<br/>Day {day.day} of {plan.length}",
            styles.cell,
        )
        rows.append([label, _day_items(plan, day, styles, widths)])
    story.append(
        Table(
            rows,
            colWidths=[day_width, inner],
            repeatRows=1,
            style=TableStyle(commands),
            hAlign="LEFT",
        )
    )
    return story


def _inner_style(header: bool = False) -> TableStyle:
    return TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP" if not header else "MIDDLE"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
    )


def _day_items(plan: Plan, day: Day, styles: _Styles, widths: list[float]) -> Table:
    # The box, the time and (when it fits) the text are bare strings in the columns' fonts.
    rooms = [width - 6 for width in widths]  # the inner style's padding, 3 and 3

    def row(time: str, text: str) -> list[Any]:
        return [
            _plain("☐", styles.box, rooms[0]),
            _plain(_clock(time), styles.cell, rooms[1]),
            _plain(text, styles.cell, rooms[2]),
        ]

    items: list[tuple[str, int, list[Any]]] = []
    for dose in day.doses:
        items.append((dose.time, 0, row(dose.time, _patient_dose(plan, dose))))
    for event in day.events:
        words = {"check": "", "medication": "Also take: ", "appointment": "Appointment: "}
        extra = []
        if event.duration_min:
            extra.append(f"about {minutes_text(event.duration_min)}")
        if event.where:
            extra.append(f"at {event.where}")
        text = words[event.kind] + event.what + (", " + ", ".join(extra) if extra else "")
        items.append((event.time, 1, row(event.time, text)))
    items.sort(key=lambda item: (item[0], item[1]))
    rows = [row for _, _, row in items]
    if not day.doses and day.phases:
        rows.insert(0, ["", "", _m("<b>No dose today.</b>", styles.cell)])
    style = _inner_style()
    # Not on the "No dose today" row: an empty string cell is one line of its font high.
    first = len(rows) - len(items)
    if items:
        style.add(*_font(styles.box, (0, first), (0, -1)))
        style.add(*_font(styles.cell, (1, first), (-1, -1)))
        style.add("TEXTCOLOR", (0, first), (-1, -1), INK)
    return Table(rows, colWidths=widths, style=style)


def _watch_section(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    from taper.watch import watch_list

    tiers = watch_list(plan).by_tier()
    team = plan.care_team
    phones = []
    if team.phone:
        phones.append(f"Call {team.clinic or 'the clinic'} at {_nb(team.phone)}.")
    if team.after_hours:
        phones.append(f"After hours, call {_nb(team.after_hours)}.")
    call_how = " ".join(phones) or "Call your clinic the same day."
    sections = [
        (
            "expected",
            "Expected and usually mild",
            "These are common. Tell your care team at your next visit.",
        ),
        ("call", "Call the clinic today", call_how),
        (
            "emergency",
            "Emergency: call 911",
            "Call 911 or go to the nearest emergency department now.",
        ),
    ]
    story: list[Flowable] = [
        _p("What to watch for", styles.title),
        _p(
            "Steroids and the other treatments in this plan can cause side effects. Most are "
            "mild and go away after the course. Keep this page where you can find it.",
            styles.body,
        ),
    ]
    for tier, heading, how in sections:
        colour = TIER_COLOURS[tier]
        head = ParagraphStyle(f"tier_{tier}", parent=styles.h3, textColor=colour, spaceBefore=0)
        lines: list[Flowable] = [_p(heading, head), _m(f"<b>{_esc(how)}</b>", styles.body)]
        items = [item.text for item in tiers.get(tier, [])]
        if items:
            lines.extend(_bullets(items, styles))
        else:
            lines.append(
                _p(
                    "Nothing listed for this course. If you are worried, call the clinic.",
                    styles.body,
                )
            )
        story.append(KeepTogether([_boxed(lines, width, border=colour, line=1.6)]))
        story.append(Spacer(1, 8))
    return story
