"""Extract the patient's messages into taper/locale/taper.pot and bring each language's .po up
to date with it (new messages untranslated, gone ones dropped, translations kept).

    python scripts/catalogue.py           # rewrite the .pot and the .po files
    python scripts/catalogue.py --check   # exit 1 when they are out of step with the code

Messages come from two places: the ``_``, ``p_``, ``n_`` and ``np_`` calls of ``taper/voice``
(Babel's Python extractor, with their ``# Translators:`` comments), and the patient sentences of
the data files, each with its file's name as its context (``watch.toml``), as
``taper.voice.watchwords.data_text`` looks them up. ``source`` keys and the pharmacist's text
are never extracted: staff text stays English.
"""

from __future__ import annotations

import io
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "taper" / "locale"
DATA = ROOT / "taper" / "data"
LANGUAGES = ("es",)
KEYWORDS = {"_": None, "p_": ((1, "c"), 2), "n_": (1, 2), "np_": ((1, "c"), 2, 3)}
HEADER = "taper: the patient's handout and reminders"
# Fixed, so that the files change only when their messages do.
STAMP = datetime(2026, 12, 7, tzinfo=UTC)
COMMENT = """\
# Spanish (US) for taper's patient handout and reminders (issue 22).
#
# Review status, stated as it is: written by a developer fluent in Spanish against
# the reviewed glossary (../shared/spanish-glossary.md) and checked in context (built
# packets read back as text). Awaiting sign-off by a qualified medical translator and a
# bilingual clinician before clinical use.
#"""


def _code_messages(catalog: Catalog) -> None:
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT / "taper"),
        method_map=[
            ("voice/**.py", "python"),
            ("export/**.py", "python"),
        ],
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        catalog.add(
            message,
            None,
            [(f"taper/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )


def _data(name: str) -> Any:
    with (DATA / name).open("rb") as handle:
        return tomllib.load(handle)


def data_messages() -> list[tuple[str, str, str]]:
    """(context, message, where) for every patient sentence of the data files."""
    found: list[tuple[str, str, str]] = []
    watch = _data("watch.toml")
    for number, item in enumerate(watch["item"]):
        found.append(("watch.toml", item["text"], f"item {number + 1}"))
        if "caregiver" in item:
            found.append(("watch.toml", item["caregiver"], f"item {number + 1}, caregiver"))
    for number, item in enumerate(watch.get("advice", [])):
        found.append(("watch.toml", item["text"], f"advice {number + 1}"))
    for tier, texts in watch["tier"].items():
        found.append(("watch.toml", texts["heading"], f"tier.{tier}.heading"))
        found.append(("watch.toml", texts["reminder"], f"tier.{tier}.reminder"))
    for key, text in watch.get("labels", {}).items():
        found.append(("watch.toml", text, f"labels.{key}"))
    counsel = _data("counselling.toml")
    for table, keys in {
        "card.text": (
            "heading",
            "intro",
            "card",
            "card_gb",
            "sick_heading",
            "sick",
            "intro_caregiver",
            "card_caregiver",
            "card_gb_caregiver",
            "sick_heading_caregiver",
            "sick_liquid",
            "sick_caregiver",
        ),
        "adrenal": (
            "heading",
            "heading_caregiver",
            "when",
            "when_low",
            "when_flat",
            "when_caregiver",
            "when_low_caregiver",
            "when_flat_caregiver",
            "when_continue",
            "when_continue_caregiver",
            "call",
            "emergency",
        ),
        "missed": (
            "heading",
            "once_daily",
            "more_than_once",
            "never_double",
            "every_other_day",
            "single_dose",
            "staff_dose",
            "phase_heading",
        ),
        "missed.caregiver": ("once_daily", "more_than_once", "never_double", "single_dose"),
        "vaccines": ("heading", "text"),
        "others": ("heading", "text", "caregiver", "acth"),
        "liquid": ("text", "caregiver"),
        "bone": ("patient", "patient_caregiver"),
    }.items():
        section = counsel
        for part in table.split("."):
            section = section[part]
        for key in keys:
            values = section[key] if isinstance(section[key], list) else [section[key]]
            for value in values:
                found.append(("counselling.toml", value, f"{table}.{key}"))
    help_ = _data("calendar_help.toml")
    found.append(("calendar_help.toml", help_["title"], "title"))
    found.append(("calendar_help.toml", help_["intro"], "intro"))
    for tip in help_["tip"]:
        found.append(
            ("calendar_help.toml", tip["app"], f"tip {tip['app']}: the app (brands as they are)")
        )
        found.append(("calendar_help.toml", tip["text"], f"tip {tip['app']}"))
    for key, label in _conditions().items():
        found.append(("conditions.toml", label, key))
    for key, drug in _data("drugs.toml")["drug"].items():
        found.append(("drug name", drug["display"], f"drug.{key}"))
    # The label's notes on how to take a product (grapefruit, crushing, mixing a liquid).
    for key, drug in _data("drugs.toml")["drug"].items():
        for number, note in enumerate(drug.get("note", [])):
            found.append(("drugs.toml", note["text"], f"drug.{key}.note {number + 1}"))
    return found


def _conditions() -> dict[str, str]:
    raw = _data("conditions.toml")
    table = raw.get("condition", raw)
    return {
        key: value["label"] if isinstance(value, dict) else str(value)
        for key, value in table.items()
    }


def template() -> Catalog:
    catalog = Catalog(
        project=HEADER,
        version="1",
        charset="utf-8",
        fuzzy=False,
        creation_date=STAMP,
        revision_date=STAMP,
    )
    _code_messages(catalog)
    for context, text, where in data_messages():
        catalog.add(
            text, None, [(f"taper/data/{context}", 0)], context=context, user_comments=[where]
        )
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=96, sort_output=False, omit_header=False, include_lineno=False)
    return out.getvalue()


def main() -> int:
    check = "--check" in sys.argv[1:]
    pot = template()
    outputs: dict[Path, bytes] = {LOCALE / "taper.pot": _po_bytes(pot)}
    for tag in LANGUAGES:
        path = LOCALE / tag / "LC_MESSAGES" / "taper.po"
        if path.exists():
            with path.open("rb") as handle:
                po = read_po(handle, locale=tag)
        else:
            po = Catalog(locale=tag, project=HEADER, version="1", fuzzy=False)
        po.update(pot, no_fuzzy_matching=True, update_header_comment=False)
        po.obsolete.clear()
        po.header_comment = COMMENT
        po.creation_date = po.revision_date = STAMP
        po.last_translator = "taper developers"
        po.language_team = "none (see the review status above)"
        # gettext's rule for Spanish, as taper.voice.lang applies it: 1 → singular; 0, 1.5, 2 …
        # → plural (CLDR's "many" is for counts like 1 000 000, which a handout never prints).
        po._num_plurals, po._plural_expr = 2, "(n != 1)"
        outputs[path] = _po_bytes(po)
    stale = [
        path for path, data in outputs.items() if not path.exists() or path.read_bytes() != data
    ]
    if check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of step: run python scripts/catalogue.py")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(outputs[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
