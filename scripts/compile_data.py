"""Write taper/read/parsed_data.py: every TOML file of taper/data, parsed, as Python literals.

Parsing the data files with tomllib costs every taper command ~16 ms of start-up (tomllib is
pure Python; watch.toml alone is ~8 ms). The module this writes holds what tomllib gives for
each file, as code that builds it: importing and calling it costs well under a millisecond.
taper uses a file's entry only while the file is still the one it was made from (its length
and CRC-32 are recorded); otherwise it parses the file with tomllib, so an edited data file is
never read stale. Run this after editing a data file; tests/test_data_files.py fails until then.

    python scripts/compile_data.py          # write it
    python scripts/compile_data.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import sys
import tomllib
import zlib
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "taper" / "data"
TARGET = ROOT / "taper" / "read" / "parsed_data.py"


def _literal(value: object) -> str:
    """Python source that builds ``value`` (what tomllib gives with Decimal floats)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {_literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return f"Decimal({str(value)!r})"
    if isinstance(value, bool | int | str):
        return repr(value)
    raise TypeError(f"no literal for {type(value).__name__} (a date or time in a data file?)")


def source() -> str:
    """The module's text."""
    lines = [
        '"""taper/data\'s TOML files, parsed (what tomllib gives, decimals as Decimal).',
        "",
        "Written by scripts/compile_data.py: do not edit. taper.read.catalogue.read_data uses an",
        "entry only while its file's length and CRC-32 are the ones recorded here.",
        '"""',
        "",
        "# fmt: off",
        "# ruff: noqa: E501",
        "from collections.abc import Callable",
        "from decimal import Decimal",
        "from typing import Any",
        "",
        "",
    ]
    names = []
    for path in sorted(DATA.glob("*.toml")):
        data = path.read_bytes()
        parsed = tomllib.loads(data.decode("utf-8"), parse_float=Decimal)
        function = "_" + path.stem
        names.append((path.name, function, len(data), zlib.crc32(data)))
        lines += [f"def {function}() -> dict[str, Any]:", f"    return {_literal(parsed)}", "", ""]
    lines.append("#: file name: (length, CRC-32, the function that builds its contents afresh)")
    lines.append("FILES: dict[str, tuple[int, int, Callable[[], dict[str, Any]]]] = {")
    lines += [f"    {name!r}: ({size}, {crc}, {function})," for name, function, size, crc in names]
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    text = source()
    if "--check" in sys.argv[1:]:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run python scripts/compile_data.py")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
