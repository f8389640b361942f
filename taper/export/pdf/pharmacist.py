"""The pharmacist's dispensing sheet: what to supply, the sig, totals, overrides, warnings
and counselling points. Every word comes from ``taper.voice``; this module lays them out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from taper.checks.previous import PreviousPlan
from taper.export.json import fingerprint
from taper.export.pdf.layout import (
    FONT_BOLD,
    INK,
    OUTSIDE,
    Table,
    _boxed,
    _bullets,
    _contacts,
    _heading,
    _p,
    _patient_block,
    _sig_paragraphs,
    _spread,
    _Styles,
    _table,
    _widths,
)
from taper.records.plan import PhasePlan, Plan
from taper.voice.amounts import basis_lines, fill_intro, fill_rows
from taper.voice.counselling import counselling
from taper.voice.labels import Pharmacist as R
from taper.voice.labels import Staff as S
from taper.voice.staff import (
    changed_days,
    changes_heading,
    changes_intro,
    dispense_rows,
    override_rows,
    phase_title,
    signoff_intro,
    signoff_rows,
    staff_supply_rows,
    step_rows,
    supplied_rows,
    supply_changes,
    total_rows,
    warning_rows,
    zone_rules_line,
)


def _pharmacist_story(
    plan: Plan,
    styles: _Styles,
    width: float,
    previous: PreviousPlan | None = None,
    checked_by: str | None = None,
    stamp: datetime | None = None,
) -> list[Flowable]:
    """``checked_by``: the checking pharmacist's name for the sign-off (blank lines without it);
    ``stamp``: when the sheet is printed, the sign-off's date beside a given name."""
    story: list[Flowable] = [
        _p(R.document, styles.title),
        _patient_block(plan, styles, width),
        _p(zone_rules_line(plan), styles.small),
    ]
    contacts = _contacts(plan, styles, width)
    if contacts is not None:
        story += [*_heading(R.contacts, styles, styles.h3), contacts]
    if previous is not None:
        story.extend(_changes(plan, previous, styles, width))

    story.extend(_heading(R.dispense, styles, styles.h2))
    dispense = dispense_rows(plan)
    if dispense:
        rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in R.dispense_heads]]
        for drug, form, quantity in dispense:
            rows.append(
                [
                    _p(drug, styles.cell_bold),
                    _p(form, styles.cell),
                    _p(quantity, styles.cell_bold),
                ]
            )
        story.append(_table(rows, [width * 0.3, width * 0.3, width * 0.4]))
    else:
        story.append(_p(R.nothing_to_dispense, styles.body))
    staff = _staff_supply(plan, styles, width)
    if staff is not None:
        story += [*_heading(R.staff_supply, styles, styles.h3), staff]
    story.extend(_fills(plan, styles, width))
    worked = basis_lines(plan)
    if worked:
        story.extend(_heading(R.worked_out, styles, styles.h3))
        story.extend(_bullets(worked, styles))

    for number, phase in enumerate(plan.phases):
        # The headings stay with the sig; the step table may run on (its header repeats).
        block: list[Flowable] = [_p(R.sig, styles.h2)] if number == 0 else []
        block += [
            _p(phase_title(plan, phase), styles.h3),
            _boxed(_sig_paragraphs(plan, phase, styles), width, background=OUTSIDE),
        ]
        story.append(KeepTogether(block))
        steps = _step_table(plan, phase, styles, width)
        if steps is not None:
            story += [Spacer(1, 4), steps]

    story.extend(_heading(R.totals, styles, styles.h2))
    totals = total_rows(plan)
    if totals:
        rows = [[_p(h, styles.cell_bold) for h in R.total_heads]]
        for drug, total, equivalent in totals:
            rows.append(
                [_p(drug, styles.cell_bold), _p(total, styles.cell), _p(equivalent, styles.cell)]
            )
        story.append(_table(rows, [width * 0.3, width * 0.3, width * 0.4]))
        story.append(Spacer(1, 3))
        story.append(_p(R.equivalents_note, styles.small))
    else:
        story.append(_p(R.nothing_dosed, styles.body))

    story.extend(_overrides(plan, styles, width))
    story.extend(_warnings(plan, styles, width))
    story.extend(_heading(R.counselling, styles, styles.h2))
    story.extend(_bullets(counselling(plan), styles))
    story.extend(_signoff(plan, styles, width, checked_by, stamp))
    return story


# Room for a handwritten entry above a pen line (points).
_PEN_ROOM = 20


def _signoff(
    plan: Plan, styles: _Styles, width: float, checked_by: str | None, stamp: datetime | None
) -> list[Flowable]:
    """The sheet's last block: who entered and who checked the order, when, and a line per
    product for what was supplied. Blank fields are lines for a pen; it is kept on one page."""
    from taper.voice.people import issued_on

    issued = issued_on(plan, stamp) if stamp is not None and checked_by else None
    fields = [
        [_p(label, styles.cell_bold), _p(value, styles.cell) if value else ""]
        for label, value in signoff_rows(checked_by, issued)
    ]
    pen = [("TOPPADDING", (0, 0), (-1, -1), _PEN_ROOM), ("LINEBELOW", (1, 0), (1, -1), 0.8, INK)]
    block: list[Flowable] = [
        _p(R.signoff, styles.h2),
        _p(signoff_intro(fingerprint(plan)), styles.body),
        Spacer(1, 2),
        _table(fields, [width * 0.32, width * 0.68], header=False, extra=pen),
        Spacer(1, 8),
    ]
    products = supplied_rows(plan)
    if products:
        rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in R.supplied_heads]]
        rows += [[_p(name, styles.cell), _p(need, styles.cell), ""] for name, need in products]
        lines = [("TOPPADDING", (0, 1), (-1, -1), _PEN_ROOM / 2)]
        block.append(_table(rows, [width * 0.36, width * 0.24, width * 0.40], extra=lines))
    else:
        block.append(_p(R.nothing_supplied, styles.body))
    # On one page: a new page when the rest of this one cannot hold it all (a block taller
    # than a page, only with a great many products, runs on; its header row repeats).
    height = sum(f.wrap(width, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in block)
    return [CondPageBreak(height + 6), *block]


def _changes(plan: Plan, previous: PreviousPlan, styles: _Styles, width: float) -> list[Flowable]:
    """What changed since the plan this one replaces: the days whose doses differ, and the
    quantity still to supply per strength."""
    story: list[Flowable] = _heading(changes_heading(previous), styles, styles.h2)
    story.append(_p(changes_intro(plan, previous), styles.body))
    days = changed_days(plan, previous)
    if days:
        rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in R.changed_heads]]
        rows += [[_p(text, styles.cell) for text in row] for row in days]
        story.append(_table(rows, [width * 0.26, width * 0.37, width * 0.37]))
    else:
        story.append(_p(R.nothing_changed, styles.body))
    story.append(Spacer(1, 6))
    supply = supply_changes(plan, previous)
    if supply:
        header = R.supply_heads
        rows = [[_p(h, styles.cell_bold) for h in header]]
        for drug, form, before, now, more in supply:
            rows.append(
                [
                    _p(drug, styles.cell_bold),
                    _p(form, styles.cell),
                    _p(before, styles.cell),
                    _p(now, styles.cell),
                    _p(more, styles.cell_bold),
                ]
            )
        story.append(
            _table(rows, [width * 0.22, width * 0.26, width * 0.15, width * 0.15, width * 0.22])
        )
    return story


def _fills(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    """The quantities for each fill period, when the course is supplied a period at a time."""
    if plan.fill_days is None or len(plan.fills) < 2:
        return []
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in R.fill_heads]]
    for period, drug, form, quantity in fill_rows(plan):
        rows.append(
            [
                _p(period, styles.cell) if period else "",
                _p(drug, styles.cell),
                _p(form, styles.cell),
                _p(quantity, styles.cell_bold),
            ]
        )
    return [
        *_heading(R.fills, styles, styles.h3),
        _p(fill_intro(plan), styles.small),
        Spacer(1, 3),
        _table(rows, [width * 0.36, width * 0.2, width * 0.22, width * 0.22]),
    ]


def _staff_supply(plan: Plan, styles: _Styles, width: float) -> Table | None:
    supply = staff_supply_rows(plan)
    if not supply:
        return None
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in R.staff_heads]]
    rows += [[_p(text, styles.cell) for text in row] for row in supply]
    return _table(rows, [width * 0.2, width * 0.3, width * 0.2, width * 0.1, width * 0.2])


def _step_table(plan: Plan, phase: PhasePlan, styles: _Styles, width: float) -> Table | None:
    """The step-by-step check of a tablet or liquid phase: what each dose is, and how many."""
    if phase.route != "oral" or phase.sessions:
        return None
    heads = R.capsule_step_heads if phase.solid_form == "capsule" else R.step_heads
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in heads]]
    for days, dates, *rest in step_rows(plan, phase):
        rows.append(
            [
                _p(days, styles.cell) if days else "",
                _p(dates, styles.cell) if dates else "",
                *(_p(text, styles.cell) for text in rest),
            ]
        )
    days_w, dose_w, doses_w = _widths(styles, "days 88–88", "62.5 mg", "Doses")
    dates_w, time_w, tablets_w, total_w = _spread(
        width - days_w - dose_w - doses_w, [], (0.27, 0.25, 0.28, 0.2)
    )
    return _table(rows, [days_w, dates_w, time_w, dose_w, tablets_w, doses_w, total_w])


def _overrides(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = _heading(R.overrides, styles, styles.h2)
    overrides = override_rows(plan)
    if not overrides:
        return [*story, _p(R.no_overrides, styles.body)]
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in R.override_heads]]
    for phase, allowance, details in overrides:
        rows.append(
            [
                _p(phase, styles.cell_bold),
                _p(allowance, styles.cell),
                _p(details, styles.cell),
            ]
        )
    story.append(_table(rows, [width * 0.25, width * 0.3, width * 0.45]))
    return story


def _warnings(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = _heading(S.warnings, styles, styles.h2)
    warnings = warning_rows(plan)
    if not warnings:
        return [*story, _p(R.no_warnings, styles.body)]
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in R.warning_heads]]
    for code, message, place in warnings:
        rows.append([_p(code, styles.cell_bold), _p(message, styles.cell), _p(place, styles.cell)])
    # The code column fits the longest code: a code broken mid-word cannot be searched for.
    code_width = min(
        width * 0.35,
        max(
            pdfmetrics.stringWidth(code, FONT_BOLD, styles.cell_bold.fontSize)
            for code, *_ in warnings
        )
        + 10,
    )
    story.append(_table(rows, [code_width, width * 0.78 - code_width, width * 0.22]))
    return story
