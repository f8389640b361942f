"""The patient handout: the course at a glance, the month calendar, the day-by-day checklist
and the watch list. Every word comes from ``taper.voice``; this module lays them out."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer, Table, TableStyle

from taper.export.pdf.layout import (
    FONT,
    INK,
    OUTSIDE,
    PHASE_TINTS,
    RULE,
    SHADE,
    TIER_COLOURS,
    _boxed,
    _bullets,
    _cell,
    _font,
    _heading,
    _p,
    _plain,
    _rich,
    _Styles,
    _table,
)
from taper.plan import Day, Plan
from taper.voice.amounts import (
    checklist_days,
    checklist_note,
    compact_calendar_intro,
    compact_cell,
    is_long,
)
from taper.voice.counselling import calendar_help, patient_notes
from taper.voice.doses import phase_heading
from taper.voice.overview import (
    NO_DOSE_TODAY,
    Row,
    also_rows,
    calendar_lines,
    checklist_day,
    checklist_items,
    phase_rows,
    watch_tiers,
)
from taper.voice.people import course_dates, for_line, team_lines
from taper.voice.text import Strong
from taper.voice.times import month_title, week_heads


def _patient_story(plan: Plan, styles: _Styles, width: float, fill: int = 1) -> list[Flowable]:
    story: list[Flowable] = [
        _p(plan.title, styles.title),
        _cell([for_line(plan)], styles.body),
        _cell([course_dates(plan)], styles.body),
    ]
    story.append(_team_box(plan, styles, width))
    story.extend(_heading("Your course at a glance", styles, styles.h2))
    rows: list[list[Any]] = [[_p("When", styles.cell_bold), _p("What", styles.cell_bold)]]
    for phase in plan.phases:
        rows.extend(_rows(phase_rows(plan, phase), styles))
    rows.extend(_rows(also_rows(plan), styles))
    story.append(_table(rows, [width * 0.3, width * 0.7]))
    notes = patient_notes(plan)
    if notes:
        story.extend(_heading("Good to know", styles, styles.h2))
        story.extend(_bullets(notes, styles))
    story.append(PageBreak())
    # A long course stays usable on paper: its length follows the dose changes, not the days.
    story.extend(
        _compact_calendar(plan, styles, width) if is_long(plan) else _calendar(plan, styles, width)
    )
    story.append(PageBreak())
    story.extend(_checklist(plan, styles, width, checklist_days(plan, fill)))
    story.append(PageBreak())
    story.extend(_watch_section(plan, styles, width))
    story.extend(_reminders_box(styles, width))
    return story


def _rows(rows: list[Row], styles: _Styles) -> list[list[Any]]:
    return [[_cell(when, styles.cell), _cell(what, styles.cell)] for when, what in rows]


def _team_box(plan: Plan, styles: _Styles, width: float) -> Flowable:
    lines: list[Flowable] = [_p("Your care team", styles.h3)]
    lines.extend(_cell([line], styles.body) for line in team_lines(plan))
    return _boxed(lines, width, background=colors.HexColor("#f4f7fb"))


def _reminders_box(styles: _Styles, width: float) -> list[Flowable]:
    title, intro, tips = calendar_help()
    lines: list[Flowable] = [_p(title, styles.h3), _p(intro, styles.body)]
    lines.extend(_bullets([_rich(tip) for tip in tips], styles, markup=True))
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
        header = [_p(name, styles.cal_head) for name in week_heads()]
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
        title = _p(month_title(year, month), styles.h2)
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


def _compact_calendar(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    """Months in miniature, two across: each day's amount, tinted by phase."""
    by_date = {day.date: day for day in plan.days}
    tints = {
        phase.name: PHASE_TINTS[number % len(PHASE_TINTS)]
        for number, phase in enumerate(plan.phases)
    }
    gap = 12.0
    month_width = (width - gap) / 2
    date_style = ParagraphStyle(
        "mini_date",
        parent=styles.small,
        fontSize=styles.small.fontSize * 0.8,
        leading=styles.small.fontSize * 0.95,
        textColor=RULE,
    )
    dose_style = ParagraphStyle(
        "mini_dose",
        parent=styles.small,
        fontSize=styles.small.fontSize * 0.9,
        leading=styles.small.fontSize * 1.05,
    )
    months: list[list[Flowable]] = []
    for year, month in _months(plan):
        first = date(year, month, 1)
        cursor = first - timedelta(days=(first.weekday() + 1) % 7)  # weeks start on Sunday
        rows: list[list[Any]] = [[_p(name, styles.cal_head) for name in week_heads()]]
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.4, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
            ("RIGHTPADDING", (0, 0), (-1, -1), 1),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]
        while cursor.month == month or cursor < first:
            row: list[Any] = []
            for column in range(7):
                day = by_date.get(cursor)
                in_month = cursor.month == month
                cell: list[Any] = [_p(str(cursor.day), date_style)] if in_month else []
                if day is not None and in_month:
                    text = compact_cell(day)
                    cell.extend(_p(line, dose_style) for line in text.splitlines())
                    if day.phases:
                        commands.append(
                            (
                                "BACKGROUND",
                                (column, len(rows)),
                                (column, len(rows)),
                                tints[day.phases[0]],
                            )
                        )
                else:
                    commands.append(
                        ("BACKGROUND", (column, len(rows)), (column, len(rows)), OUTSIDE)
                    )
                row.append(cell)
                cursor += timedelta(days=1)
            rows.append(row)
        table = Table(
            rows, colWidths=[month_width / 7] * 7, style=TableStyle(commands), hAlign="LEFT"
        )
        months.append([_p(month_title(year, month), styles.h3), table])
    story: list[Flowable] = [
        _p("Your calendar", styles.title),
        _p(compact_calendar_intro(), styles.body),
        _legend(plan, styles, width, tints),
    ]
    for number in range(0, len(months), 2):
        pair = months[number : number + 2]
        pair += [[Spacer(1, 1)]] * (2 - len(pair))
        story.append(
            Table(
                [[pair[0], "", pair[1]]],
                colWidths=[month_width, gap, month_width],
                style=TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                    ]
                ),
                hAlign="LEFT",
            )
        )
    return story


def _calendar_cell(on: date, day: Day | None, in_month: bool, styles: _Styles) -> list[Any]:
    style = (
        styles.cal_date
        if in_month
        else ParagraphStyle("cal_out", parent=styles.cal_date, textColor=RULE)
    )
    cell: list[Any] = [_p(str(on.day), style)]
    if day is None or not in_month:
        return cell
    cell.extend(_cell([line], styles.cal) for line in calendar_lines(day))
    return cell


def _checklist(plan: Plan, styles: _Styles, width: float, span: tuple[int, int]) -> list[Flowable]:
    story: list[Flowable] = [
        _p("Day by day", styles.title),
        _p("Tick the box when you have taken each dose or done each check.", styles.body),
    ]
    first_day, last_day = span
    note = checklist_note(plan, first_day, last_day)
    if note is not None:
        story.append(_p(note, styles.body))
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
    for day in plan.days[first_day - 1 : last_day]:
        if not day.doses and not day.events and not day.phases:
            continue  # after the last phase, a day with nothing on it
        if day.phases != current:
            current = day.phases
            for name in day.phases:
                if headings[name].first_day == day.day or day.day == first_day:
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
        label = _cell(checklist_day(plan, day), styles.cell)
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
    items = checklist_items(plan, day)
    rows: list[list[Any]] = [
        [
            _plain("☐", styles.box, rooms[0]),
            _plain(time, styles.cell, rooms[1]),
            _plain(text, styles.cell, rooms[2]),
        ]
        for time, text in items
    ]
    if not day.doses and day.phases:
        rows.insert(0, ["", "", _cell([(Strong(NO_DOSE_TODAY),)], styles.cell)])
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
    story: list[Flowable] = [
        _p("What to watch for", styles.title),
        _p(
            "Steroids and the other treatments in this plan can cause side effects. Most are "
            "mild and go away after the course. Keep this page where you can find it.",
            styles.body,
        ),
    ]
    for tier, heading, how in watch_tiers(plan):
        colour = TIER_COLOURS[tier]
        head = ParagraphStyle(f"tier_{tier}", parent=styles.h3, textColor=colour, spaceBefore=0)
        lines: list[Flowable] = [_p(heading, head), _cell([(Strong(how),)], styles.body)]
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
