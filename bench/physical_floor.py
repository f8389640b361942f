"""The physical floor of one packet: what writing its bytes costs with no domain logic at all.

    python bench/physical_floor.py SPEC.json OUTDIR

``SPEC.json`` is made by ``bench/bench.py`` from a packet ``taper build`` wrote (``spec``): the
plan's JSON document, the calendar's events (start, end, summary, description, the alarm's
trigger; the zone's VTIMEZONE as text) and every PDF's pages as lines of text. This script
imports what a command line with dates needs (click, pendulum) and reportlab, then writes the
same JSON, the events as text (RFC 5545 lines written with f-strings: no icalendar) and each
PDF with the same pages, fonts and lines drawn straight on reportlab's canvas (no platypus, no
layout). Same page counts, files within a few per cent of taper's: the work ``taper build``
cannot avoid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click  # noqa: F401  (the command line's parser, as taper's)
import pendulum  # noqa: F401  (dates, as taper's)
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas


def write_json(document: dict[str, object], out: Path) -> None:
    """As taper lays it out: a top-level key a line, a list's item a line (C encoder)."""
    lines = ["{"]
    for key, value in document.items():
        if isinstance(value, list) and value:
            items = ",\n".join(f"    {json.dumps(item, ensure_ascii=False)}" for item in value)
            lines.append(f"  {json.dumps(key)}: [\n{items}\n  ],")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},")
    lines[-1] = lines[-1].removesuffix(",")
    lines.append("}")
    (out / "plan.json").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def write_events(events: list[dict[str, str]], zone: str, vtimezone: str, out: Path) -> None:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//floor//EN", "CALSCALE:GREGORIAN"]
    lines.append(vtimezone)  # the zone's rules, as text
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"SUMMARY:{event['summary']}",
            f"DTSTART;TZID={zone}:{event['start']}",
            f"DTEND;TZID={zone}:{event['end']}",
            "DTSTAMP:20261122T000000Z",
            f"UID:{event['uid']}",
            f"DESCRIPTION:{event['description']}",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{event['summary']}",
            f"TRIGGER:{event['trigger']}",
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    (out / "reminders.ics").write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def write_pdf(pages: list[list[str]], out: Path) -> None:
    canvas = Canvas(str(out), pagesize=letter, invariant=1, pageCompression=1)
    height = letter[1]
    for page in pages:
        canvas.setFont("DejaVu", 10)
        y = height - 50
        for line in page:
            canvas.drawString(40, y, line)
            y -= max(8.0, (height - 100) / max(1, len(page)))
        canvas.setFont("DejaVu-Bold", 8)
        canvas.drawString(40, 30, "footer")
        canvas.showPage()
    canvas.save()


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    out = Path(sys.argv[2])
    out.mkdir(exist_ok=True)
    fonts = Path(spec["fonts"])
    for name, file in (("DejaVu", "DejaVuSans.ttf"), ("DejaVu-Bold", "DejaVuSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(fonts / file)))
    write_json(spec["json"], out)
    write_events(spec["events"], spec["zone"], spec["vtimezone"], out)
    for name, pages in spec["pdfs"].items():
        write_pdf(pages, out / name)


if __name__ == "__main__":
    main()
