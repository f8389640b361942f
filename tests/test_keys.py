"""The one table of the regimen's keys (taper/read/keys.py) and everything that must agree with it:
the README's key reference, the page's form, the reader (after sqlite-utils' test_docs.py)."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from taper.read.keys import KEYS, SECTION, keys_in
from taper.read.regimen import parse_regimen

ROOT = Path(__file__).resolve().parent.parent
FORM_HTML = ROOT / "taper" / "web" / "templates" / "form.html"
sys.path.insert(0, str(ROOT / "scripts"))
from format_reference import BEGIN, END  # noqa: E402


def test_the_readme_reference_is_the_table() -> None:
    """Fails when a key is missing from the README's reference, or is in it but not in the
    table: run ``python scripts/format_reference.py --write``."""
    from format_reference import rewrite

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN in readme and END in readme
    assert readme == rewrite(readme), "README.md's key reference is out of date"


def test_the_readme_mentions_no_key_the_table_lacks() -> None:
    """A ``key = value`` line in the README's regimen examples names a key of the table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The regimen file", 1)[1].split(BEGIN, 1)[0]
    names = {key.name for key in KEYS}
    for block in re.findall(r"```toml\n(.*?)```", section, re.S):
        for line in block.splitlines():
            if match := re.match(r"#?\s*([a-z_]+) = ", line):
                assert match.group(1) in names, (
                    f"README shows {match.group(1)!r}: not in taper/read/keys.py"
                )


@pytest.mark.parametrize("key", [k for k in KEYS if k.widget is not None], ids=lambda k: k.place)
def test_every_key_with_a_widget_is_on_the_form(key: object) -> None:
    """Fails when form.html has no field for a key the table gives a widget (or set the key's
    widget to None: edited in the TOML text only)."""
    from taper.read.keys import Key

    assert isinstance(key, Key)
    html = FORM_HTML.read_text(encoding="utf-8")
    tail = "taper." if key.where == "phase.taper" else ""  # a table, not an array of tables
    shown = [
        f'"{key.place}"',  # field("patient.name", ...)
        f'field("{key.name}"' if not key.where else None,  # a top-level field
        f'~ ".{tail}{key.name}"',  # a field of the n-th phase, step, item
    ]
    if key.where == "patient.routine":
        shown.append("f.ROUTINE_SLOTS")  # one field per slot, from the table
    if key.widget == SECTION:
        shown.append(f'doc.get("{key.name}")')
    assert any(s and s in html for s in shown), f"{key.place} has no field in form.html"


def test_the_reader_knows_exactly_the_tables_keys() -> None:
    """Every key of the table is read (no "unknown key"), and a key outside it is refused with
    the table's list."""
    base = (
        'start = 2027-03-01\ntimezone = "Europe/London"\n[patient]\n{patient}\n'
        '[[phase]]\ndrug = "prednisone"\ndose = "10 mg"\ndays = 2\nat = ["08:00"]\n'
    )
    for name in keys_in("patient"):
        value = '"x"' if name != "routine" else "{}"
        _, problems = parse_regimen(tomllib.loads(base.format(patient=f"{name} = {value}")), "a")
        assert not [p for p in problems if "unknown key" in p.message], name
    _, problems = parse_regimen(tomllib.loads(base.format(patient='lang = "en"')), "a")
    assert [f"{p.place}: {p.message}" for p in problems] == [
        'patient.lang: unknown key "lang"; did you mean "language"? '
        f"(known keys here: {', '.join(keys_in('patient'))})"
    ]
