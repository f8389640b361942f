"""Render the README's key reference from the one table of keys (taper/read/keys.py).

    python scripts/format_reference.py          # print the section
    python scripts/format_reference.py --write  # rewrite it in README.md, between the markers

tests/test_keys.py fails when README.md's section differs from what this renders.
"""

from __future__ import annotations

import sys
from pathlib import Path

from taper.read.keys import reference

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = (
    "<!-- keys: rendered by scripts/format_reference.py from taper/read/keys.py; do not edit -->\n"
)
END = "<!-- /keys -->\n"


def rewrite(text: str) -> str:
    """The README text with its key reference rendered afresh."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"README.md has no {BEGIN.strip()} … {END.strip()} section")
    return head + BEGIN + reference() + END + tail


def main() -> None:
    if sys.argv[1:] == ["--write"]:
        README.write_text(rewrite(README.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(reference())


if __name__ == "__main__":
    main()
