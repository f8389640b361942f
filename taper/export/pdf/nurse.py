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
from taper.records.plan import Plan
from taper.voice.labels import Nurse as N
from taper.voice.labels import Staff as S
from taper.voice.staff import appointments, event_rows, phase_title, warning_lines


def _nurse_story(plan: Plan, styles: _Styles, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _p(N.title, styles.title),
        _patient_block(plan, styles, width),
    ]
    contacts = _contacts(plan, styles, width)
    story.extend(_heading(N.contacts, styles, styles.h2))
    story.append(contacts if contacts is not None else _p(N.no_contacts, styles.body))

    story.extend(_heading(N.visits, styles, styles.h2))
    rows: list[list[Any]] = [[_p(h, styles.cell_bold) for h in N.visit_heads]]
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
        fixed = _widths(styles, N.date_sample, N.time_sample, N.visit_heads[2])
        story.append(_table(rows, _spread(width, fixed, (0.36, 0.28, 0.36))))
    else:
        story.append(_p(N.no_visits, styles.body))

    story.extend(_heading(N.checks, styles, styles.h2))
    check_rows = _event_table_rows(plan, "check", styles)
    if check_rows:
        story.append(
            _table(
                [[_p(h, styles.cell_bold) for h in N.check_heads], *check_rows],
                [width * 0.5, width * 0.2, width * 0.3],
            )
        )
    else:
        story.append(_p(N.no_checks, styles.body))

    story.extend(_heading(N.medicines, styles, styles.h2))
    medicines = _event_table_rows(plan, "medication", styles)
    oral = [phase for phase in plan.phases if phase.route == "oral"]
    if medicines:
        story.append(
            _table(
                [[_p(h, styles.cell_bold) for h in N.medicine_heads], *medicines],
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
        story.append(_p(N.no_medicines, styles.body))

    if plan.warnings:
        story.extend(_heading(S.warnings, styles, styles.h2))
        story.extend(_bullets(warning_lines(plan), styles))
    return story


def _event_table_rows(plan: Plan, kind: str, styles: _Styles) -> list[list[Any]]:
    return [[_p(text, styles.cell) for text in row] for row in event_rows(plan, kind)]
