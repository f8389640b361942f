"""Render the three handouts of every shipped template (or of the regimen files given) to PNG.

Only a rendered page shows a clipped line, a table running off the page or a missing glyph, so
look at the pictures before calling a layout done:

    python scripts/render_handouts.py                      # every template, into ./renders
    python scripts/render_handouts.py tests/regimens/*.toml --large-print --paper a4
    python scripts/render_handouts.py jane.toml -o /tmp/jane --dpi 110

Each regimen gets a folder holding ``<audience>.pdf`` and ``<audience>-p<N>.png`` per page.
Templates are filled in with a fixed start date, weight and time zone.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pypdfium2 as pdfium

from taper.api import load as load_plan
from taper.export.pdf import AUDIENCES, render_pdf
from taper.read.errors import TaperError
from taper.records.plan import Plan

STAMP = datetime(2026, 11, 22, tzinfo=UTC)
TODAY = STAMP.date()


def template_plans(workdir: Path) -> list[tuple[str, Plan]]:
    from taper.read.templates import list_templates, render_template

    plans = []
    for template in list_templates():
        text = render_template(
            template.name,
            start=date(2026, 12, 1),
            weight="70 kg",
            timezone="America/New_York",
            height="120 cm",
        )
        path = workdir / f"{template.name}.toml"
        path.write_text(text, encoding="utf-8")
        plans.append((template.name, load_plan(path, today=TODAY)))
    return plans


def render(
    name: str, plan: Plan, out: Path, *, paper: str, large_print: bool, dpi: int
) -> list[Path]:
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ("-large" if large_print else "") + ("-a4" if paper == "a4" else "")
    written = []
    for audience in AUDIENCES:
        data = render_pdf(plan, audience, stamp=STAMP, paper=paper, large_print=large_print)
        pdf_path = folder / f"{audience}{suffix}.pdf"
        pdf_path.write_bytes(data)
        document = pdfium.PdfDocument(data)
        try:
            for number in range(len(document)):
                image = document[number].render(scale=dpi / 72).to_pil()
                png = folder / f"{audience}{suffix}-p{number + 1}.png"
                image.save(png)
                written.append(png)
        finally:
            document.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "regimens", nargs="*", type=Path, help="regimen files (default: every shipped template)"
    )
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("renders"),
        help="folder for the pictures (default: ./renders)",
    )
    parser.add_argument("--paper", choices=("letter", "a4"), default="letter")
    parser.add_argument("--large-print", action="store_true")
    parser.add_argument("--dpi", type=int, default=90, help="resolution of the pictures")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as workdir:
        try:
            if args.regimens:
                plans = [(path.stem, load_plan(path, today=TODAY)) for path in args.regimens]
            else:
                plans = template_plans(Path(workdir))
            for name, plan in plans:
                pages = render(
                    name,
                    plan,
                    args.out,
                    paper=args.paper,
                    large_print=args.large_print,
                    dpi=args.dpi,
                )
                print(f"{name}: {len(pages)} pages in {args.out / name}")
        except TaperError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
