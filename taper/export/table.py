"""The plan as a readable text table (``taper plan``)."""

from __future__ import annotations

from taper.plan import Plan
from taper.text import one_line
from taper.units import format_amount, format_number
from taper.voice.doses import dose_summary, phase_heading
from taper.voice.text import count_words


def render_table(plan: Plan) -> str:
    lines = [plan.title]
    who = f"{plan.patient.name} · " if plan.patient.name else ""
    lines.append(
        f"{who}{plan.start.isoformat()} to {plan.end.isoformat()} "
        f"({count_words(plan.length, 'day')}) · times in {plan.timezone}"
    )
    current: tuple[str, ...] | None = None
    headings = {phase.name: phase_heading(phase) for phase in plan.phases}
    for day in plan.days:
        if day.phases != current:
            current = day.phases
            lines.append("")
            for name in day.phases:
                lines.append(f"== {headings[name]} ==")
            if not day.phases:
                lines.append("== after the course ==")
        label = f"{day.date.strftime('%a')} {day.date.isoformat()}  day {day.day:>3}"
        items = [
            (
                dose.time,
                dose_summary(dose) + (f", {extra}" if (extra := _extra(dose.instructions)) else ""),
            )
            for dose in day.doses
        ]
        items += [(event.time, f"{event.kind}: {event.what}") for event in day.events]
        items.sort(key=lambda item: item[0])
        if not day.doses:
            items.insert(0, ("     ", "no dose"))
        for number, (time, text) in enumerate(items):
            # One row per item: a line break in a multi-line field must not start a row
            # of its own (it could pass for a dose).
            lines.append(f"{label if number == 0 else ' ' * len(label)}  {time}  {one_line(text)}")
    if plan.dispense or plan.liquids:
        lines += ["", "Dispense:"]
        for line in plan.dispense:
            lines.append(
                f"  {line.drug_name} {format_amount(line.strength, line.unit)} "
                f"tablets: {format_number(line.count)}"
            )
        for liquid in plan.liquids:
            lines.append(
                f"  {liquid.drug_name} {liquid.liquid} liquid: {format_number(liquid.volume_ml)} mL"
            )
    if plan.totals:
        lines += ["", "Totals:"]
        for total in plan.totals:
            equivalent = ""
            if total.prednisone_equivalent_mg is not None and total.drug != "prednisone":
                about = "about " if total.equivalence_approximate else ""
                equivalent = (
                    f" (prednisone equivalent: {about}"
                    f"{format_number(total.prednisone_equivalent_mg)} mg)"
                )
            lines.append(
                f"  {total.drug_name}: {format_amount(total.amount, total.unit)}{equivalent}"
            )
    if plan.warnings:
        lines += ["", "Warnings:"]
        for warning in plan.warnings:
            place = f" ({warning.place})" if warning.place else ""
            lines.append(one_line(f"  [{warning.code}] {warning.message}{place}"))
    return "\n".join(lines) + "\n"


def _extra(instructions: str) -> str:
    """The 'with food' part of the instructions, if the phase gave one."""
    if ", " in instructions and instructions.startswith("Take "):
        return instructions.split(", ", 1)[1].rstrip(".").split(". ")[0]
    return ""
