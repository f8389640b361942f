"""HL7 FHIR on the page and the API (issue 21): ``POST /api/fhir`` answers with ``taper fhir``'s
bytes; ``POST /ui/import-fhir`` is the page's "Start from an EHR order (FHIR JSON)": the order
becomes the regimen, or its refusals are listed beside the upload, each with its place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Flask, Response, request


def register(app: Flask, helpers: dict[str, Callable[..., Any]]) -> None:
    """The routes on ``app``; ``helpers``: the app's own request helpers (body, check, json,
    resolve, fragments), handed over so that this module does not import the app's."""
    from taper.read.errors import Problem, RegimenError
    from taper.read.regimen import parse_document

    _body, _check, _resolve = helpers["body"], helpers["check"], helpers["resolve"]
    _json: Callable[..., Response] = helpers["json"]
    _fragments: Callable[..., Response] = helpers["fragments"]

    @app.post("/api/fhir")
    def fhir() -> Response:
        from taper.export.fhir import render_fhir

        result = _check(_body())
        if result.plan is None:
            return _json(result.as_json(), 422)
        return Response(render_fhir(result.plan), mimetype="application/fhir+json")

    @app.post("/ui/import-fhir")
    def ui_import_fhir() -> Response:
        from taper.fhir_import import FHIR_LIMIT, ImportOptions, checked_import
        from taper.read.templates import machine_timezone
        from taper.read.zones import is_zone

        upload = request.files.get("fhir")
        data = upload.read(FHIR_LIMIT + 1) if upload is not None else b""
        name = str(upload.filename or "order.json") if upload is not None else "order.json"
        old, old_doc, _ = _resolve(request.form)
        if not data:
            return _fragments(old, old_doc, form_body=False, fhir_errors=["choose a file first"])
        zone = str(request.form.get("timezone", "")).strip()
        start_text = str(request.form.get("start", "")).strip()
        try:
            start = date.fromisoformat(start_text) if start_text else None
        except ValueError:
            start = None
        weight = str(request.form.get("patient.weight", "")).strip() or None
        course_zone = zone if is_zone(zone) else machine_timezone()
        if course_zone is None:  # this machine's zone names no place: never guessed
            message = "Time zone: give the course's zone first, such as America/New_York"
            return _fragments(old, old_doc, form_body=False, fhir_errors=[message])
        try:
            text = checked_import(data, name, ImportOptions(course_zone, start, weight))
        except RegimenError as err:
            # The page's own word for the command's --timezone is its Time zone field.
            listed = [
                Problem("Time zone", p.message.replace("--timezone ", "")).render(name)
                if p.place == "--timezone"
                else p.render(name)
                for p in err.problems
            ]
            return _fragments(old, old_doc, form_body=False, fhir_errors=listed)
        doc, _ = parse_document(text.encode("utf-8"))
        return _fragments(text, doc, form_body=True)
