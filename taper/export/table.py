"""The plan as a readable text table (``taper plan``): the layout only; the words come from
``taper.voice.console``."""

from __future__ import annotations

from taper.read.text import one_line
from taper.records.plan import Plan
from taper.voice.console import (
    Table,
    course_summary,
    day_label,
    dispense_line,
    liquid_line,
    table_dose,
    table_event,
    table_heading,
    table_warning,
    total_line,
)
from taper.voice.times import moment


def render_table(plan: Plan) -> str:
    lines = [plan.title, course_summary(plan)]
    current: tuple[str, ...] | None = None
    headings = {phase.name: table_heading(phase) for phase in plan.phases}
    for day in plan.days:
        if day.phases != current:
            current = day.phases
            lines.append("")
            for name in day.phases:
                lines.append(f"== {headings[name]} ==")
            if not day.phases:
                lines.append(f"== {Table.after_course} ==")
        label = day_label(day)
        timed = [(dose.starts, table_dose(plan, dose)) for dose in day.doses]
        timed += [(event.starts, table_event(event)) for event in day.events]
        timed.sort(key=lambda item: item[0])
        items = [(moment(when, None), text) for when, text in timed]
        if not day.doses:
            items.insert(0, (" " * 5, Table.no_dose))
        for number, (time, text) in enumerate(items):
            # One row per item: a line break in a multi-line field must not start a row
            # of its own (it could pass for a dose).
            lines.append(f"{label if number == 0 else ' ' * len(label)}  {time}  {one_line(text)}")
    if plan.dispense or plan.liquids:
        lines += ["", Table.dispense]
        lines += [f"  {dispense_line(line)}" for line in plan.dispense]
        lines += [f"  {liquid_line(liquid)}" for liquid in plan.liquids]
    if plan.totals:
        lines += ["", Table.totals]
        lines += [f"  {total_line(total)}" for total in plan.totals]
    if plan.warnings:
        lines += ["", Table.warnings]
        lines += [one_line(f"  {table_warning(warning)}") for warning in plan.warnings]
    return "\n".join(lines) + "\n"
