"""The nurse's sheet: appointments, checks before each, checks during the course and the
medicines alongside. Every word comes from ``taper.voice``; this module lays them out."""

from __future__ import annotations

from typing import Any

from reportlab.platypus import Flowable, KeepTogether

from taper.export.pdf.layout import (
    _bullets,
    _cell,
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
from taper.plan import Plan
from taper.voice.staff import appointments, event_rows, phase_title, warning_lines


def _nurse_story(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
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
    visits = appointments(plan)
    for date_lines, time, length, what, where, checks in visits:
        rows.append(
            [
                _cell(date_lines, styles.cell),
                _p(time, styles.cell_bold),
                _p(length, styles.cell),
                _p(what, styles.cell),
                _p(where, styles.cell),
                _cell(checks, styles.cell),
            ]
        )
    if visits:
        fixed = _widths(styles, "Wed Dec 30", "00:00", "Length")
        story.append(_table(rows, _spread(width, fixed, (0.36, 0.28, 0.36))))
    else:
        story.append(
            _p("No infusions, injections, procedures or appointments in this course.", styles.body)
        )

    story.extend(_heading("Checks during the course", styles, styles.h2))
    check_rows = _event_table_rows(plan, "check", styles)
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
    medicines = _event_table_rows(plan, "medication", styles)
    oral = [phase for phase in plan.phases if phase.route == "oral"]
    if medicines:
        story.append(
            _table(
                [[_p(h, styles.cell_bold) for h in ("Medicine", "Times", "Days")], *medicines],
                [width * 0.5, width * 0.2, width * 0.3],
            )
        )
    for phase in oral:
        story.append(
            KeepTogether(
                [_p(phase_title(plan, phase), styles.h3), *_sig_paragraphs(plan, phase, styles)]
            )
        )
    if not medicines and not oral:
        story.append(_p("None listed in the regimen.", styles.body))

    if plan.warnings:
        story.extend(_heading("Warnings", styles, styles.h2))
        story.extend(_bullets(warning_lines(plan), styles))
    return story


def _event_table_rows(plan: Plan, kind: str, styles: _Styles) -> list[list[Any]]:
    return [[_p(text, styles.cell) for text in row] for row in event_rows(plan, kind)]
