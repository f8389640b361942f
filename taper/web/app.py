"""The Flask app of ``taper serve``: the nurse's page and the local HTTP API.

Both call the same functions as the command line (``taper.api``): the same problems, the same
plan, the same bytes. Every request needs the launch's token (or the page session and its key:
``taper.web.session``), a ``Host`` of this server and, for a POST, no foreign ``Origin``.
Nothing a request carries is written to disk: bodies, uploads and packets stay in memory, and
every response says ``Cache-Control: no-store``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import date, timedelta
from typing import IO, Any

from flask import Flask, Request, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from taper import api
from taper.files import clock, packets
from taper.read.errors import Problem, RegimenError, TaperError
from taper.read.regimen import MAX_REGIMEN_BYTES, parse_document
from taper.voice.text import Strong
from taper.web import fhir_routes, workers
from taper.web import form as regimen_form
from taper.web.session import KEY_FIELD, KEY_HEADER, Launch
from taper.web.tomltext import dumps, has_other_comments, header_comment
from taper.web.words import (
    DEFAULT_TEMPLATE,
    announcement,
    download_name,
    missing_weight,
    page_words,
    spoken_place,
    template_for_page,
    template_groups,
)

_RENDERER = "taper.renderer"  # the app's packet renderer, in app.extensions
SOURCE = "regimen.toml"  # the regimen's name in messages: the packet's file
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-src 'self'; frame-ancestors 'self'; "
    "base-uri 'none'"
)


class MemoryRequest(Request):
    """A request whose uploaded files stay in memory (werkzeug spools big ones to disk)."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return io.BytesIO()


class ApiError(Exception):
    """Raised by a handler for a 4xx answer with a JSON message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return Response(body, status=status, mimetype="application/json")


def _flag(value: str | None, name: str) -> bool:
    if value is None or value.strip().lower() in ("", "0", "false", "no", "off"):
        return False
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    raise ApiError(400, f"{name}={value!r}: write 1 or 0")


def _paper(value: str | None) -> str:
    paper = (value or "letter").strip().lower()
    if paper not in packets.PAPERS:
        raise ApiError(400, f"paper={value!r}: use one of {', '.join(packets.PAPERS)}")
    return paper


def _signer(value: str | None) -> str | None:
    """The checking pharmacist's name (``checked_by``) for the dispensing sheet's sign-off:
    None when empty; the one text rule of every input (taper.read.text.name_problems)."""
    from taper.read.text import name_problems

    if value is None or not value.strip():
        return None
    problems = name_problems(value)
    if problems:
        raise ApiError(400, f"checked_by (the pharmacist's name): {'; '.join(problems)}")
    return " ".join(value.split())


def _lang(value: str | None) -> str | None:
    """``?lang=es``: the patient's language over the regimen's, as ``--lang`` on the CLI."""
    from taper.read.keys import LANGUAGES

    if value is None:
        return None
    if value not in LANGUAGES:
        supported = " or ".join(f'"{tag}"' for tag in LANGUAGES)
        raise ApiError(400, f"lang={value!r} is not a supported language; use {supported}")
    return value


_TOO_LARGE = f"the body is over {MAX_REGIMEN_BYTES // 1024} KiB; a regimen is a few kilobytes"


def _body() -> bytes:
    length = request.content_length
    if length is not None and length > MAX_REGIMEN_BYTES:
        raise ApiError(413, _TOO_LARGE)
    data = request.get_data(cache=False)
    if len(data) > MAX_REGIMEN_BYTES:
        raise ApiError(413, _TOO_LARGE)
    return data


def create_app(*, token: str, port: int, renderer: workers.Renderer | None = None) -> Flask:
    """The app for one launch: ``token`` is required on every request, ``port`` is ours.
    ``renderer`` makes the packets (``taper serve``: worker processes); by default they are
    made in the request's thread, one at a time."""
    app = Flask(__name__)
    app.extensions[_RENDERER] = renderer or workers.InProcess()
    app.request_class = MemoryRequest
    app.jinja_env.tests["strong"] = lambda value: isinstance(value, Strong)
    app.config.update(
        TRUSTED_HOSTS=["127.0.0.1", "localhost"],
        MAX_CONTENT_LENGTH=2 * MAX_REGIMEN_BYTES + 65536,
        MAX_FORM_MEMORY_SIZE=MAX_REGIMEN_BYTES + 1024,
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    launch = Launch(token, port)  # the token, one-time codes, page sessions: taper.web.session
    app.extensions["taper_launch"] = launch
    _guard_requests(app, launch=launch, port=port)
    _handle_errors(app)
    _template_routes(app)
    _api_routes(app)
    _page_routes(app, launch=launch)
    _form_routes(app)
    # Issue 21: /api/fhir and the page's EHR-order upload.
    fhir_routes.register(
        app,
        {
            "body": _body,
            "check": _check,
            "json": _json,
            "resolve": _resolve,
            "fragments": _fragments,
        },
    )
    return app


def _guard_requests(app: Flask, *, launch: Launch, port: int) -> None:
    """Every request: a Host of this server, no foreign Origin on a POST, the launch's token or
    the page session with its key;
    every answer: not cached, not sniffed, not framed or fetched by another site."""
    hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
    origins = {f"http://{host}" for host in hosts}

    def offered_token() -> bool:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        header = value.strip() if scheme.lower() == "token" else ""
        return launch.is_token(request.args.get("token", "")) or launch.is_token(header)

    def page_key_offered(session: str) -> bool:
        offered = request.headers.get(KEY_HEADER, "")
        if not offered and request.method == "POST" and request.path.startswith("/ui/"):
            offered = str(request.form.get(KEY_FIELD, ""))  # a download: a form, no header
        return launch.is_page_key(session, offered)

    def allowed() -> bool:
        """The lasting token; or a code to exchange; or the session cookie, which alone opens
        only the page's shell, and with the page key everything (taper.web.session)."""
        if offered_token():
            return True
        code = request.args.get("code", "") if request.path == "/" else ""
        if request.method == "GET" and code and launch.take_code(code):
            request.environ["taper.exchange"] = True
            return True  # (a spent code is nothing more than no code)
        session = request.cookies.get(launch.cookie, "")
        if not launch.is_session(session):
            return False
        shell = request.method in ("GET", "HEAD") and (
            request.path == "/" or request.path.startswith("/static/")
        )
        return shell or page_key_offered(session)

    @app.before_request
    def guard() -> Response | None:
        if request.headers.get("Host", "") not in hosts:
            return _json({"error": "this server answers only 127.0.0.1 and localhost"}, 400)
        if request.method not in ("GET", "HEAD") and request.headers.get("Origin") not in (
            None,
            *origins,
        ):
            return _json({"error": "a request from another site is refused"}, 403)
        if not allowed():
            return _json({"error": "no valid token: open the address taper serve printed"}, 403)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        # Not "no-referrer": with it a browser sends a form POST's Origin as "null".
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


def _handle_errors(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(err: ApiError) -> Response:
        return _json({"error": err.message}, err.status)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> Response:
        return _json({"error": err.description or err.name}, err.code or 400)

    @app.errorhandler(Exception)
    def unexpected(err: Exception) -> Response:
        # Never a traceback in an answer; the message names what failed.
        app.logger.error("unexpected error: %r", err)
        return _json({"error": f"taper could not answer this request ({type(err).__name__})"}, 500)


def _check(data: bytes) -> api.CheckResult:
    """The regimen's check, against today's date (the front end reads the clock)."""
    return api.check(data, today=clock.today(), source=SOURCE)


def _make(
    regimen: bytes,
    *,
    paper: str,
    large_print: bool,
    what: str = "packet",
    language: str | None = None,
    checked_by: str | None = None,
) -> workers.Made:
    """The packet as one zip (the regimen file, then the packet's files), or one of its files,
    made by the app's renderer; ``language``: ``?lang=``, over the regimen's. A renderer that
    fails answers 503 with why."""
    job = workers.Job(
        regimen,
        SOURCE,
        clock.today(),
        clock.build_stamp(),
        paper,
        large_print,
        what,
        language=language,
        checked_by=checked_by,
    )
    renderer: workers.Renderer = current_app.extensions[_RENDERER]
    try:
        return renderer.render(job)
    except workers.WorkerStopped as err:
        raise ApiError(503, str(err)) from err


def _tomorrow() -> date:
    return clock.today() + timedelta(days=1)


def _template_routes(app: Flask) -> None:
    """The API's templates: the list, and one filled in as ``taper new`` writes it."""

    @app.get("/api/templates")
    def templates() -> Response:
        from taper.read.templates import list_templates, template_notes

        return _json(
            [
                {
                    "name": t.name,
                    "title": t.description,
                    "source": t.source,
                    "confirm": template_notes(t.name),
                }
                for t in list_templates()
            ]
        )

    @app.get("/api/templates/<name>")
    def template(name: str) -> Response:
        from taper.read.templates import TemplateError, list_templates, render_template

        if name.removesuffix(".toml") not in {t.name for t in list_templates()}:
            raise ApiError(404, f'unknown template "{name}"; GET /api/templates lists them')
        start = request.args.get("start")
        try:
            first = date.fromisoformat(start) if start else _tomorrow()
        except ValueError as err:
            raise ApiError(400, f"start={start!r} is not a date; write it like 2026-12-01") from err
        try:
            text = render_template(
                name,
                start=first,
                weight=request.args.get("weight"),
                timezone=request.args.get("timezone"),
                height=request.args.get("height"),
            )
        except TemplateError as err:
            raise ApiError(400, str(err)) from err
        return Response(text.encode("utf-8"), mimetype="application/toml")


def _api_routes(app: Flask) -> None:
    """The local HTTP API: check, plan and packet."""

    @app.post("/api/check")
    def check() -> Response:
        return _json(_check(_body()).as_json())

    @app.post("/api/plan")
    def plan() -> Response:
        result = _check(_body())
        if result.plan is None:
            return _json(result.as_json(), 422)
        return Response(api.plan_json(result.plan), mimetype="application/json")

    @app.post("/api/packet")
    def packet() -> Response:
        large_print = _flag(request.args.get("large_print"), "large_print")
        paper = _paper(request.args.get("paper"))
        checked_by = _signer(request.args.get("checked_by"))
        lang = _lang(request.args.get("lang"))
        made = _make(
            _body(), paper=paper, large_print=large_print, language=lang, checked_by=checked_by
        )
        if made.data is None:
            assert made.check is not None
            return _json(made.check.as_json(), 422)
        return _attachment(made.data, made.name_prefix + "packet.zip", "application/zip")


def _page_routes(app: Flask, *, launch: Launch) -> None:
    """The page itself, and its downloads."""

    @app.get("/")
    def page() -> Response:
        from taper.read.templates import machine_timezone

        doc = regimen_form.blank_document(_tomorrow(), machine_timezone())
        text = dumps(doc)
        # Opened with the one-time code or the printed address: a new page session, whose key
        # is in this answer only (the page keeps it in sessionStorage and takes the code or
        # token out of the address). Reloaded with the cookie alone: the shell, with no key.
        exchange = request.environ.get("taper.exchange") or "token" in request.args
        session, key = launch.new_session() if exchange else ("", "")
        context = _page_context(text, doc, focus="", pristine=True)
        response = Response(render_template("page.html", page_key=key, **context))
        if session:
            response.set_cookie(launch.cookie, session, httponly=True, samesite="Strict", path="/")
        return response

    @app.post("/ui/download")
    def ui_download() -> Response:
        what = request.args.get("file", "packet")
        if what not in ("packet", SOURCE, *packets.names()):
            raise ApiError(400, f"file={what!r} is not a file of the packet")
        text, _, _ = _resolve(request.form)
        regimen = _file_bytes(text)  # with the file's own line ends
        result = _check(text.encode("utf-8"))
        if what == SOURCE:
            return _attachment(regimen, download_name(result.plan, SOURCE), "application/toml")
        if result.plan is None:
            return Response(render_template("not-ready.html", errors=result.errors), status=422)
        large_print = "large_print" in request.form
        paper = _paper(request.form.get("paper"))
        try:
            checked_by = _signer(request.form.get("checked_by"))
        except ApiError as err:  # the page's own field: said like a regimen's problem
            problem = Problem("Pharmacist's name", err.message.partition(": ")[2])
            return Response(render_template("not-ready.html", errors=[problem]), status=422)
        made = _make(
            regimen, paper=paper, large_print=large_print, what=what, checked_by=checked_by
        )
        if made.data is None:
            assert made.check is not None
            errors = made.check.errors
            return Response(render_template("not-ready.html", errors=errors), status=422)
        if what == "packet":
            return _attachment(made.data, made.name_prefix + "packet.zip", "application/zip")
        entry = packets.find(what)
        inline = request.args.get("inline") == "1" and entry.preview
        return _attachment(made.data, made.name_prefix + what, entry.media_type, inline=inline)


def _form_routes(app: Flask) -> None:
    """The form's htmx requests: each answers with the fragments that change."""

    @app.post("/ui/update")
    def ui_update() -> Response:
        text, doc, note = _resolve(request.form)
        return _fragments(text, doc, form_body=False, note=note)

    @app.post("/ui/file")
    def ui_file() -> Response:
        text = _lf(str(request.form.get("regimen", "")))
        doc, _ = parse_document(text.encode("utf-8"))
        return _fragments(text, doc, form_body=doc is not None, file=False)

    @app.post("/ui/edit")
    def ui_edit() -> Response:
        text, doc, note = _resolve(request.form)
        if doc is None:
            return _fragments(text, doc, form_body=False)
        action = request.args.get("action", "")
        if action.startswith("form:") and action.count(":") == 1:
            action += ":" + str(request.form.get(f"phase[{action[5:]}].form", ""))
        try:
            edited, focus = regimen_form.edit(doc, action)
        except regimen_form.EditError as err:
            raise ApiError(400, str(err)) from err
        new_text = dumps(edited, header=header_comment(text))
        note = _dropped_note(text, new_text) or note
        return _fragments(
            new_text, edited, form_body=True, focus=focus, note=note, announce=announcement(action)
        )

    @app.post("/ui/template")
    def ui_template() -> Response:
        return _from_template(request.form)

    @app.post("/ui/new")
    def ui_new() -> Response:
        from taper.read.templates import machine_timezone

        doc = regimen_form.blank_document(_tomorrow(), machine_timezone())
        return _fragments(dumps(doc), doc, form_body=True, focus="title")

    @app.post("/ui/upload")
    def ui_upload() -> Response:
        upload = request.files.get("upload")
        data = upload.read(MAX_REGIMEN_BYTES + 1) if upload is not None else b""
        old, old_doc, _ = _resolve(request.form)
        if not data:
            return _fragments(old, old_doc, form_body=False, template_error="choose a file first")
        doc, problems = parse_document(data)
        if doc is None:
            name = upload.filename if upload is not None else "the file"
            message = "; ".join(p.render(str(name)) for p in problems)
            return _fragments(old, old_doc, form_body=False, template_error=message)
        text = data.decode("utf-8").removeprefix("\ufeff")
        newline = "crlf" if "\r\n" in text else "lf"
        return _fragments(_lf(text), doc, form_body=True, newline=newline)


def _from_template(fields: Mapping[str, Any]) -> Response:
    """The form filled from a template, with the start, the zone and the patient's own fields
    (name, weight, height) carried over; a per-kg template without a weight still loads and
    asks for it at the Weight field. No message names a command-line flag."""
    from taper.read.templates import TemplateError

    name = str(fields.get("template", ""))
    start_text = str(fields.get("start", "")).strip()
    try:
        start = date.fromisoformat(start_text)
    except ValueError:
        start = _tomorrow()
    zone = str(fields.get("timezone", "")).strip() or None
    old, old_doc, _ = _resolve(fields)
    try:
        text = template_for_page(name, start=start, timezone=zone, old=old_doc)
    except TemplateError as err:
        return _fragments(old, old_doc, form_body=False, template_error=page_words(str(err)))
    doc, _ = parse_document(text.encode("utf-8"))
    focus = "patient.weight" if doc and missing_weight(doc) else "patient.name"
    return _fragments(text, doc, form_body=True, focus=focus)


def _zones() -> list[str]:
    """The zones the page offers: places, and UTC (never a fixed offset or a rule)."""
    from taper.read.zones import names, place_problem

    return sorted(name for name in names() if place_problem(name) is None)


def _zone_hint(doc: dict[str, Any] | None) -> str:
    """What the time zone field says under it: why it is empty when this machine's zone names
    no place (a POSIX rule in TZ), so the nurse types the place's zone."""
    from taper.read.templates import machine_timezone_reason

    if doc is not None and not doc.get("timezone"):
        reason = machine_timezone_reason()
        if reason:
            return f"Left empty: {reason}. Type the place's zone, such as America/New_York."
    return "Type to search, such as America/New_York."


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _newline() -> str:
    """The regimen file's own line ends ("lf" or "crlf"), which the form carries along."""
    chosen = str(request.form.get("newline", "lf")) if request.method == "POST" else "lf"
    return chosen if chosen in ("lf", "crlf") else "lf"


def _file_bytes(text: str) -> bytes:
    """The regimen file as it is downloaded: with the line ends it came with."""
    if _newline() == "crlf":
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8")


def _attachment(data: bytes, name: str, media: str, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        data, mimetype=media, headers={"Content-Disposition": f'{disposition}; filename="{name}"'}
    )


def _resolve(fields: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None, str]:
    """The regimen text the form stands for: the file, with the form's fields written over it.

    When the fields change nothing the file is kept as it is, comments and all.
    """
    # A browser sends a textarea's lines ended by CRLF, whatever the file had: the text is kept
    # with LF here, and a download gives back the file's own ends (the form's "newline").
    text = _lf(str(fields.get("regimen", "")))
    doc, _ = parse_document(text.encode("utf-8"))
    if doc is None:
        return text, None, ""
    edited = regimen_form.apply_form(doc, fields)  # type: ignore[arg-type]
    if edited == doc:
        return text, doc, ""
    new_text = dumps(edited, header=header_comment(text))
    return new_text, edited, _dropped_note(text, new_text)


def _dropped_note(old: str, new: str) -> str:
    if has_other_comments(old) and not has_other_comments(new):
        return (
            "The form rewrote the regimen file without its comments (its opening note is "
            "kept). To keep comments, edit on the Regimen file tab."
        )
    return ""


def _problem_places(
    problems: tuple[Problem, ...], warnings: tuple[tuple[str, str, str], ...], known: set[str]
) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    """Each problem at its field (``by_field``), and the list for the errors region."""
    by_field: dict[str, list[str]] = {}
    listed: list[dict[str, str]] = []
    for kind, place, message in [("error", p.place, p.message) for p in problems] + [
        ("warning", w[1], f"[{w[0]}] {w[2]}") for w in warnings
    ]:
        target = regimen_form.field_for(place, known) if place else None
        if target is not None:
            prefix = "Warning: " if kind == "warning" else ""
            by_field.setdefault(target, []).append(prefix + message)
        listed.append(
            {
                "kind": kind,
                "place": spoken_place(place) if place else "",
                "message": message,
                "anchor": regimen_form.field_id(target) if target else "",
            }
        )
    return by_field, listed


def _page_context(
    text: str,
    doc: dict[str, Any] | None,
    *,
    focus: str = "",
    note: str = "",
    template_error: str = "",
    pristine: bool = False,
) -> dict[str, Any]:
    from taper.read.catalogue import conditions, drugs
    from taper.read.regimen import ALLOWANCES, ROUTES
    from taper.read.templates import list_templates, template_notes
    from taper.web import preview

    try:
        result = _check(text.encode("utf-8"))
    except TaperError as err:  # SOURCE_DATE_EPOCH unreadable: say so, as the CLI would
        result = api.CheckResult(None, (Problem("", str(err)),))
    if result.plan is not None:
        from taper.voice.console import check_summary

        # The words of `taper check` for a file named regimen.toml (the packet's name for it).
        summary = check_summary(SOURCE, result.plan)
    else:
        summary = RegimenError(SOURCE, list(result.errors)).render().splitlines()[0]
    # The page has one regimen: its summary needs no file name ("Valid: 5 days, …").
    summary = summary.removeprefix(f"{SOURCE}: ")
    summary = summary[:1].upper() + summary[1:]
    context: dict[str, Any] = {
        "summary": summary,
        "text": text,
        "doc": doc,
        "result": result,
        "focus": focus,
        "note": note or _comment_note(text),
        "template_error": template_error,
        "templates": list_templates(),
        "template_groups": template_groups(list_templates()),
        "default_template": DEFAULT_TEMPLATE,
        "pristine": pristine,
        "newline": _newline(),
        "template_notes": {t.name: page_words(template_notes(t.name)) for t in list_templates()},
        "conditions": conditions(),
        "drugs": sorted({d.display for d in drugs().values()}),
        "routes": ROUTES,
        "allowances": ALLOWANCES,
        "zones": _zones(),
        "zone_hint": _zone_hint(doc),
        "packet_files": packets.FILES,
        "f": regimen_form,
        "preview": preview,
        "by_field": {},
        "listed": [],
    }
    known: set[str] = set()
    if doc is not None:

        def register(place: str) -> str:
            known.add(place)
            return ""

        context["register"] = register
        render_template("form.html", **context)  # first pass: which places have a field
    context["register"] = lambda place: ""
    if not pristine:  # a blank page opens without red problems before anything was typed
        context["by_field"], context["listed"] = _problem_places(
            result.errors, result.warnings, known
        )
    context["known"] = sorted(known)
    return context


def _comment_note(text: str) -> str:
    if has_other_comments(text):
        return (
            "This file has comments. Changing a field in the form rewrites the file without "
            "them (the opening note is kept); edit on the Regimen file tab to keep them."
        )
    return ""


def _fragments(
    text: str,
    doc: dict[str, Any] | None,
    *,
    form_body: bool,
    file: bool = True,
    focus: str = "",
    note: str = "",
    template_error: str = "",
    announce: str = "",
    newline: str = "",
    fhir_errors: list[str] | None = None,
) -> Response:
    context = _page_context(text, doc, focus=focus, note=note, template_error=template_error)
    context.update(form_body=form_body, file=file, announce=announce, fhir_errors=fhir_errors or [])
    if newline:
        context["newline"] = newline
    context["locked"] = ""
    if doc is None:
        # The form cannot stand for a file that does not parse: an edit made in it now would be
        # lost when the file is fixed. It is read-only, with the reason at its top (an upload's
        # own refusal, in template_error or fhir_errors, is shown beside it).
        problems = context["result"].errors
        context["locked"] = (
            "The form is read-only while the regimen file cannot be read ("
            + "; ".join(p.render("regimen file") for p in problems)
            + "). Fix the file on the Regimen file tab; the form then follows it."
        )
    return Response(render_template("fragments.html", **context))
