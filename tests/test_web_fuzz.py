"""Nothing sent to `taper serve` crashes it: hypothesis through Flask's test client (bounded)."""

from __future__ import annotations

import tomllib
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_strategies import regimens

from taper.web import create_app
from taper.web.form import apply_form
from taper.web.tomltext import dumps

PORT = 5124
BASE = f"http://127.0.0.1:{PORT}"
HEADERS = {"Authorization": "token fuzz"}
CLIENT: FlaskClient = create_app(token="fuzz", port=PORT).test_client()
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
# What an answer may be: never a 500, never a traceback.
ALLOWED = {200, 400, 404, 405, 413, 422}
FIELDS = [
    "title",
    "start",
    "timezone",
    "revision",
    "patient.name",
    "patient.weight",
    "patient.conditions",
    "patient.conditions.present",
    "patient.routine.breakfast",
    "care_team.phone",
    "phase[1].drug",
    "phase[1].dose",
    "phase[1].days",
    "phase[1].every",
    "phase[1].at",
    "phase[1].tablets",
    "phase[1].split",
    "phase[1].split.present",
    "phase[1].steps[1].dose",
    "phase[1].steps[1].at",
    "phase[1].taper.every",
    "phase[2].name",
    "also[1].days",
    "also[1].on",
    "watch[1].tier",
]
SEED = """title = "t"
start = 2026-12-01
timezone = "America/New_York"

[[phase]]
drug = "prednisone"
at = ["breakfast"]
steps = [{ dose = "20 mg", days = 2 }, { dose = "10 mg", days = 2 }]

[[also]]
kind = "check"
what = "Blood sugar"
at = ["lunch"]
days = [1]
"""
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["", "0", "-1", "99999999999", "2026-02-30", "10 mg", "½", "nan", "[", '"'])


def check(answer: Any) -> None:
    body = answer.get_data()
    assert answer.status_code in ALLOWED, (answer.status_code, body[:300])
    assert b"Traceback" not in body
    assert answer.headers["Cache-Control"] == "no-store"


@FUZZ
@given(body=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_api_survives_any_body(body: bytes) -> None:
    for url in ("/api/check", "/api/plan"):
        check(CLIENT.post(url, data=body, base_url=BASE, headers=HEADERS))


@settings(FUZZ, max_examples=25)
@given(doc=regimens())
def test_api_packet_of_any_regimen(doc: dict[str, Any]) -> None:
    body = dumps(doc).encode()
    answer = CLIENT.post("/api/packet", data=body, base_url=BASE, headers=HEADERS)
    check(answer)
    if answer.status_code == 422:
        assert answer.json["valid"] is False and answer.json["errors"]


@FUZZ
@given(
    fields=st.dictionaries(st.sampled_from(FIELDS), texts, max_size=8),
    base=st.sampled_from([SEED, "", "x = [", 'start = "no"\nphase = 3\n', "[[phase]]\n"]),
)
def test_page_update_survives_any_fields(fields: dict[str, str], base: str) -> None:
    data = {**fields, "regimen": base}
    answer = CLIENT.post("/ui/update", data=data, base_url=BASE, headers=HEADERS)
    check(answer)
    assert answer.status_code == 200


@FUZZ
@given(
    action=st.from_regex(r"(phase|step|also|watch|form)-?(add|remove|up|down)?(:-?\d{0,2}){0,3}")
    | texts,
    base=st.sampled_from([SEED, "", "[[phase]]\n"]),
)
def test_page_edit_survives_any_action(action: str, base: str) -> None:
    answer = CLIENT.post(
        "/ui/edit",
        query_string={"action": action},
        data={"regimen": base},
        base_url=BASE,
        headers=HEADERS,
    )
    check(answer)


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["start", "timezone", "weight", "x"]), texts))
def test_template_query_survives_anything(query: dict[str, str]) -> None:
    answer = CLIENT.get(
        "/api/templates/ivig-5-day", query_string=query, base_url=BASE, headers=HEADERS
    )
    check(answer)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(FIELDS), texts, max_size=10))
def test_form_edits_make_valid_toml(fields: dict[str, str]) -> None:
    # Whatever is typed, the file the form writes reads back as the document the form made.
    class Form(dict[str, str]):
        def getlist(self, key: str) -> list[str]:
            return [self[key]] if key in self else []

    document = apply_form(tomllib.loads(SEED), Form(fields))
    assert tomllib.loads(dumps(document)) == document


@settings(FUZZ, max_examples=40)
@given(
    route=st.sampled_from(["/ui/file", "/ui/template", "/ui/new", "/ui/download", "/ui/upload"]),
    query=st.dictionaries(st.sampled_from(["file", "inline", "action"]), texts, max_size=2),
    fields=st.dictionaries(
        st.sampled_from([*FIELDS, "template", "paper", "large_print", "regimen"]), texts, max_size=6
    ),
)
def test_every_page_route_survives_anything(
    route: str, query: dict[str, str], fields: dict[str, str]
) -> None:
    data: dict[str, Any] = dict(fields)
    if route == "/ui/upload":
        import io

        data["upload"] = (io.BytesIO(fields.get("regimen", "").encode()), "x.toml")
    answer = CLIENT.post(route, query_string=query, data=data, base_url=BASE, headers=HEADERS)
    check(answer)
