"""Write the subsets of DejaVu Sans that taper embeds (taper/data/fonts) from the full fonts.

    pip install fonttools    # a development tool only: taper never imports it
    python scripts/subset_fonts.py [SOURCE_FOLDER]

SOURCE_FOLDER holds the unmodified DejaVuSans.ttf and DejaVuSans-Bold.ttf (2.37), by default
/usr/share/fonts/truetype/dejavu (Debian's fonts-dejavu-core). Run it again only to change the
ranges below; the same sources give the same bytes.

Why subsets: reportlab reads every glyph's metrics and location when it registers a font, and
the full fonts (about 6,000 glyphs each) took a sizeable part of a `taper build`. The handout
checks every character against the fonts' own character maps, so a character outside these
ranges is refused with a clear error, never drawn as a box.

Licence: the Bitstream Vera licence allows modified copies whose names contain neither
"Bitstream" nor "Vera"; the subsets keep the name "DejaVu Sans" and every name-table entry,
copyright and licence text included. Outlines, metrics and hinting are unchanged; glyphs
outside the ranges and the OpenType layout tables (which reportlab does not use) are dropped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

FONTS = Path(__file__).resolve().parent.parent / "taper" / "data" / "fonts"
FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
DEFAULT_SOURCE = Path("/usr/share/fonts/truetype/dejavu")

# The scripts and symbols the handouts support (Unicode blocks, first and last code point).
RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x017F),  # Latin Extended-A
    (0x0180, 0x024F),  # Latin Extended-B
    (0x0250, 0x02AF),  # IPA Extensions
    (0x02B0, 0x02FF),  # Spacing Modifier Letters (ʻokina, modifier apostrophe)
    (0x0300, 0x036F),  # Combining Diacritical Marks (letters with no precomposed form)
    (0x0370, 0x03FF),  # Greek and Coptic
    (0x0400, 0x04FF),  # Cyrillic
    (0x0500, 0x052F),  # Cyrillic Supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese, Welsh)
    (0x2000, 0x206F),  # General Punctuation
    (0x2070, 0x209F),  # Superscripts and Subscripts
    (0x20A0, 0x20CF),  # Currency Symbols
    (0x2100, 0x214F),  # Letterlike Symbols (℃, №, ™)
    (0x2150, 0x218F),  # Number Forms (⅓, ⅔)
    (0x2190, 0x21FF),  # Arrows
    (0x2200, 0x22FF),  # Mathematical Operators (≤, ≥, ±)
    (0x2460, 0x24FF),  # Enclosed Alphanumerics
    (0x25A0, 0x25FF),  # Geometric Shapes
    (0x2600, 0x26FF),  # Miscellaneous Symbols (☐, the checklist's box)
    (0x2700, 0x27BF),  # Dingbats (✓)
    (0xFB00, 0xFB06),  # Latin ligatures (ﬁ, ﬂ in text pasted from a PDF)
    (0xFFFD, 0xFFFD),  # Replacement character
)


def codepoints() -> list[int]:
    return [code for first, last in RANGES for code in range(first, last + 1)]


def make_subset(source: Path, target: Path) -> None:
    options = subset.Options()
    options.layout_features = []  # reportlab lays out text without GSUB/GPOS
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "MATH", "FFTM", "kern"]
    options.name_IDs = ["*"]  # every name, the copyright and licence texts with them
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.hinting = True
    options.recalc_bounds = False
    options.recalc_timestamp = False
    options.prune_unicode_ranges = False
    font = TTFont(source, recalcBBoxes=False, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints())
    subsetter.subset(font)
    font.save(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()
    for name in FILES:
        source = args.source / name
        if not source.is_file():
            print(f"error: {source} not found (the full DejaVu Sans 2.37)", file=sys.stderr)
            return 1
        target = FONTS / name
        make_subset(source, target)
        glyphs = len(TTFont(target).getGlyphOrder())
        print(f"{target}: {glyphs} glyphs, {target.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
