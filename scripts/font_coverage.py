"""Write taper/data/fonts/coverage.txt: the code points both embedded fonts can draw.

taper/read/text.py reads this list to refuse, at the reader (``taper check``), any character the PDF
handouts cannot print, without loading reportlab or the fonts. Run after changing the fonts:

    python scripts/font_coverage.py
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from reportlab.pdfbase.ttfonts import TTFont

FONTS = Path(__file__).resolve().parent.parent / "taper" / "data" / "fonts"
HEADER = (
    "# Code points both embedded fonts (DejaVu Sans and Bold, subset) can draw, as ranges.\n"
    "# Read by taper/read/text.py; tests/test_hostile.py checks it against the fonts' "
    "character maps.\n"
    "# Regenerate after changing the fonts: python scripts/font_coverage.py\n"
)


def coverage() -> list[tuple[int, int]]:
    faces = [
        frozenset(TTFont(f"f{n}", BytesIO((FONTS / name).read_bytes())).face.charToGlyph)
        for n, name in enumerate(("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
    ]
    ranges: list[tuple[int, int]] = []
    for point in sorted(faces[0] & faces[1]):
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return ranges


def main() -> None:
    lines = [f"{low:04X}-{high:04X}\n" for low, high in coverage()]
    (FONTS / "coverage.txt").write_text(HEADER + "".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
