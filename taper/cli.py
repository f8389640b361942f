"""The command line: reads files, calls the engine and the exports, writes files.

Errors from the rest of the package are ``TaperError``s; ``_Group.invoke`` turns them into
messages in one place (exit 1). Heavy libraries (reportlab, icalendar) are imported only inside
the commands that need them, to keep start-up quick.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from taper import __version__
from taper.files.clock import build_stamp, source_date_epoch, today
from taper.read.errors import ExitCode, OutputError, TaperError
from taper.read.text import terminal
from taper.records.plan import Plan

__all__ = ["build_stamp", "main", "source_date_epoch", "today"]

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    _ParamType = click.ParamType[Any, Any]
else:  # click's ParamType is generic only from 8.5 on
    _ParamType = click.ParamType


# What a terminal that cannot show a character gets instead (PYTHONIOENCODING=latin-1, a
# non-UTF-8 file name): a plain look-alike where there is one, else "?"; never a crash.
_PLAIN = {"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2192": "->", "\u2018": "'",
          "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u2265": ">=",
          "\u2264": "<=", "\u00d7": "x", "\u00b5": "u", "\u00b2": "2", "\u2022": "*",
          "\u00a0": " ", "\u202f": " ", "\u2009": " "}  # fmt: skip


def _plain(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(_PLAIN.get(char, "?") for char in text), error.end


codecs.register_error("taper-plain", _plain)


def _tolerant_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="taper-plain")


def _stdout_failed(err: OSError) -> bool:
    """Whether ``err`` came from writing standard output (a full disk, a closed pipe)."""
    if err.filename is not None:
        return False
    if err.errno in (errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO):
        return True
    try:
        sys.stdout.flush()
    except OSError:
        return True
    return False


def _silence_stdout() -> None:
    """Send what is left in standard output's buffer nowhere, so exiting cannot fail again."""
    try:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        os.dup2(descriptor, sys.stdout.fileno())
        os.close(descriptor)
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (tests): nothing is flushed at exit


class _Group(click.Group):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The process's entry point (the `taper` command, python -m taper): signals are
        caught from here on, so that Ctrl-C or a kill always ends with an exit status that
        says what happened (130/143 before an output is in place, 0 once it is)."""
        from taper.files.signals import Interrupted, interruption_guard

        try:
            with interruption_guard(whole_process=True):
                return super().__call__(*args, **kwargs)
        except Interrupted as err:
            click.echo("Interrupted: no output was written or changed.", err=True)
            sys.exit(ExitCode.for_signal(err.signum))

    def invoke(self, ctx: click.Context) -> Any:
        from taper.files.signals import Interrupted, interruption_guard

        _tolerant_streams()
        try:
            with interruption_guard():
                result = super().invoke(ctx)
                sys.stdout.flush()
                return result
        except TaperError as err:
            # Messages echo file names and values: never let a control character reach the
            # terminal raw (taper.read.text is the one rule).
            raise click.ClickException(terminal(str(err))) from err
        except Interrupted as err:
            click.echo("Interrupted: no output was written or changed.", err=True)
            raise click.exceptions.Exit(ExitCode.for_signal(err.signum)) from err
        except OSError as err:
            if not _stdout_failed(err):
                raise
            _silence_stdout()
            if err.errno == errno.EPIPE:  # the reader went away (taper plan | head): say nothing
                raise click.exceptions.Exit(ExitCode.INPUT) from err
            raise click.ClickException(f"cannot write to standard output ({err.strerror})") from err


# True in the ``taper`` program (``entry``), false when a test or another program calls ``main``.
_PROGRAM = False


def entry() -> None:
    """The ``taper`` program: run the command, then leave without tearing the interpreter down.

    Once the command has returned, every file it wrote is closed (and its bytes are with the
    operating system), so the garbage collection, finalizers and module teardown of a normal
    interpreter exit (~15-50 ms of a build) only delay the prompt. Standard output and error are
    flushed first; if that fails, or another thread is still running, the exit is the normal one.
    """
    import gc

    global _PROGRAM
    _PROGRAM = True
    # One command, then os._exit: what it allocates (imports included) is freed by reference
    # counting or by the exit, so cycle collections only cost time (~4% of a build). A print
    # run turns collection back on: it may build hundreds of packets.
    gc.disable()
    try:
        main()
    except SystemExit as done:
        code = done.code
        if code is not None and not isinstance(code, int):
            raise  # a message for Python to print
        threading = sys.modules.get("threading")
        if threading is not None and threading.active_count() > 1:
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            raise done from None
        os._exit(code or ExitCode.OK)


def load(regimen: Path) -> Plan:
    """The regimen file's plan (``taper.api.load``), checked against today's date."""
    from taper.api import load as load_regimen

    return load_regimen(regimen, today=today())


# readable=False: click would call an unreadable file a usage error (exit 2, "Path … is not
# readable"); taper reads it itself and says "permission denied" with the file (exit 1).
regimen_argument = click.argument(
    "regimen", type=click.Path(path_type=Path, dir_okay=True, allow_dash=False, readable=False)
)
force_option = click.option("--force", is_flag=True, help="Replace an existing output.")


def paper_options(function: F) -> F:
    function = click.option(
        "--paper",
        type=click.Choice(["letter", "a4"]),
        default="letter",
        show_default=True,
        help="Paper size.",
    )(function)
    return function


_LEAD = r"(?i)^\s*(\d{1,4})\s*(m|min|h)\s*$"


class LeadTime(_ParamType):
    """A reminder lead time: ``15m``, ``1h``, ``0m``."""

    name = "lead"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        match = re.match(_LEAD, str(value))
        if not match:
            self.fail(f"{value!r} is not a lead time; write it like 15m or 1h", param, ctx)
        number, unit = match.groups()
        minutes = int(number) * (60 if unit.lower() == "h" else 1)
        if minutes > 7 * 24 * 60:
            self.fail(f"{value!r} is more than a week ahead", param, ctx)
        return timedelta(minutes=minutes)


class DateType(_ParamType):
    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date; write it like 2026-12-01", param, ctx)


class TimezoneType(_ParamType):
    name = "zone"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from taper.read.zones import is_zone, place_problem

        if is_zone(value):
            problem = place_problem(value)
            if problem is None:
                return str(value)
            self.fail(problem, param, ctx)
        self.fail(f"{value!r} is not an IANA time zone, such as America/New_York", param, ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="taper")
def main() -> None:
    """Turn a corticosteroid course order into a dose plan, reminders and handouts.

    \b
    A nurse's workflow:
      taper templates                       # what the shipped templates are
      taper new ms-iv-pulse-3-day -o jane.toml --start 2026-12-01
      taper check jane.toml                 # every problem at once
      taper build jane.toml -o jane/        # plan.json, reminders.ics, three PDFs, FHIR
      taper import order.json -o jane.toml  # or start from the EHR's order (FHIR R4)
      taper serve                           # the same in a page in your browser
    """


@main.command()
@regimen_argument
def check(regimen: Path) -> None:
    """Validate a regimen; print every error and warning with its place.

    Exit 0 when the regimen is valid (warnings allowed), 1 when it is not.

    Example: taper check jane.toml
    """
    from taper.voice.console import check_summary, file_warning, language_warnings

    plan = load(regimen)
    click.echo(terminal(check_summary(regimen.name, plan)))
    for warning in [*plan.warnings, *language_warnings(plan)]:
        click.echo(terminal(f"  {file_warning(regimen.name, warning)}"))


@main.command()
@regimen_argument
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (taper-plan/1).")
def plan(regimen: Path, as_json: bool) -> None:
    """Print the day-by-day plan as a table, or as JSON.

    Example: taper plan jane.toml --json > plan.json
    """
    course = load(regimen)
    if as_json:
        from taper.export.json import render_json
        from taper.files.writing import write_file

        write_file("-", render_json(course))  # JSON is UTF-8 whatever the terminal's encoding
        return
    from taper.export.table import render_table

    click.echo(terminal(render_table(course)), nl=False)


def _lang_option(function: Any) -> Any:
    """``--lang es|en``: the patient's language for this output, over the file's
    ``[patient] language`` (to reprint one patient's handout in another language)."""
    from taper.read.keys import LANGUAGES

    return click.option(
        "--lang",
        "lang",
        type=click.Choice(LANGUAGES),
        help="The patient's language for the handout and reminders (default: the regimen's "
        "[patient] language). Staff sheets stay English.",
    )(function)


def _in_language(course: Plan, lang: str | None) -> Plan:
    return course if lang is None else course._replace(language=lang)


@main.command()
@regimen_argument
@click.option("-o", "--output", required=True, help="The .ics file to write (- for stdout).")
@click.option(
    "--floating",
    is_flag=True,
    help="Floating local times (no time zone), for a patient who travels.",
)
@click.option(
    "--alarm",
    "alarm",
    type=LeadTime(),
    default="0m",
    show_default=True,
    help="How long before each dose the alarm sounds (15m, 1h).",
)
@click.option("--no-alarm", is_flag=True, help="Leave alarms out.")
@click.option(
    "--previous",
    type=click.Path(path_type=Path, readable=False),
    help="The calendar file taper wrote for the plan this one replaces (same patient, title "
    "and first day): its events that are gone are written as cancelled.",
)
@force_option
@_lang_option
def ics(
    regimen: Path,
    output: str,
    floating: bool,
    alarm: timedelta,
    no_alarm: bool,
    previous: Path | None,
    force: bool,
    lang: str | None,
) -> None:
    """Write the reminders as an iCalendar file.

    Example: taper ics jane.toml -o reminders.ics --alarm 15m
    """
    from taper.export.ics import render_ics
    from taper.files.signals import signals_deferred
    from taper.files.writing import OutputFile

    _alarm_or_none(no_alarm)
    course = _in_language(load(regimen), lang)
    inputs = {"the regimen": regimen, **({"the --previous calendar": previous} if previous else {})}
    out = OutputFile(output, force=force, inputs=inputs)
    old = _read_previous(previous)
    try:
        with signals_deferred():
            data = render_ics(
                course,
                stamp=build_stamp(),
                floating=floating,
                alarm=None if no_alarm else alarm,
                previous=old,
            )
    except OutputError as err:
        # Only the previous file gives render_ics an OutputError; name it.
        raise OutputError(f"{previous}: {err}") from err
    out.write(data)
    # A reminder the clocks moved is at a time nobody wrote; say so (on stderr: -o - is data).
    for warning in course.warnings:
        if warning.code.startswith("dst-"):
            from taper.voice.console import file_warning

            click.echo(terminal(file_warning(regimen.name, warning)), err=True)


def _alarm_or_none(no_alarm: bool) -> None:
    """--alarm and --no-alarm contradict each other: a usage error (exit 2)."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    if no_alarm and ctx.get_parameter_source("alarm") is ParameterSource.COMMANDLINE:
        raise click.UsageError("--alarm and --no-alarm cannot be used together; give one", ctx)


def _read_previous(previous: Path | None) -> bytes | None:
    from taper.files.reading import PREVIOUS, read_input
    from taper.read.errors import InputFileError

    if previous is None:
        return None
    try:
        return read_input(previous, PREVIOUS)
    except InputFileError as err:
        raise OutputError(f"{previous}: {err}") from err


@main.command()
@regimen_argument
@click.option("-o", "--output", required=True, help="The PDF file to write.")
@click.option(
    "--for",
    "audience",
    required=True,
    type=click.Choice(["patient", "pharmacist", "nurse"]),
    help="Who the handout is for.",
)
@click.option("--large-print", is_flag=True, help="Bigger text, for low vision.")
@click.option(
    "--fill",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Patient handout of a long course: the fill period its tick-box checklist covers.",
)
@paper_options
@force_option
@_lang_option
def pdf(
    regimen: Path,
    output: str,
    audience: str,
    large_print: bool,
    fill: int,
    paper: str,
    force: bool,
    lang: str | None,
) -> None:
    """Write a printable handout for the patient, the pharmacist or the nurse.

    Example: taper pdf jane.toml -o jane-patient.pdf --for patient --large-print
    """
    from taper.export.pdf import render_pdf
    from taper.files.signals import signals_deferred
    from taper.files.writing import OutputFile
    from taper.voice.amounts import checklist_days

    course = _in_language(load(regimen), lang)
    try:
        checklist_days(course, fill)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--fill") from err
    out = OutputFile(output, force=force, inputs={"the regimen": regimen})
    with signals_deferred():
        data = render_pdf(
            course, audience, stamp=build_stamp(), paper=paper, large_print=large_print, fill=fill
        )
    out.write(data)


@main.command()
@regimen_argument
@_lang_option
def watch(regimen: Path, lang: str | None) -> None:
    """Print the side-effect watch list for this course, by tier and by days.

    English unless --lang es asks for the patient's language (to read it to the patient).

    Example: taper watch jane.toml --lang es
    """
    from taper.voice.console import watch_text
    from taper.voice.lang import speaking

    with speaking(lang or "en"):
        click.echo(terminal(watch_text(load(regimen))), nl=False)


@main.command()
def templates() -> None:
    """List the shipped regimen templates: name, description and source.

    Example: taper templates
    """
    from taper.read.templates import list_templates

    for template in list_templates():
        click.echo(f"{template.name}  {template.description} (source: {template.source})")


@main.command()
@click.argument("template")
@click.option("-o", "--output", required=True, help="The regimen file to write.")
@click.option("--start", type=DateType(), help="Course day 1 (default: tomorrow).")
@click.option("--weight", help='The patient\'s weight, such as "70 kg" or "154 lb".')
@click.option("--height", help='The patient\'s height, such as "120 cm" or "47 in" (per-m² doses).')
@click.option("--timezone", type=TimezoneType(), help="IANA time zone (default: this machine's).")
@force_option
def new(
    template: str,
    output: str,
    start: date | None,
    weight: str | None,
    height: str | None,
    timezone: str | None,
    force: bool,
) -> None:
    """Write an editable regimen file from a template.

    Example: taper new ms-iv-pulse-3-day -o jane.toml --start 2026-12-01
    """
    from taper.files.writing import write_file
    from taper.read.templates import TemplateError, render_template

    try:
        text = render_template(
            template,
            start=start or today() + timedelta(days=1),
            weight=weight,
            timezone=timezone,
            height=height,
        )
    except TemplateError as err:  # a mistake on the command line, as a bad --start is: exit 2
        raise click.UsageError(str(err), click.get_current_context()) from err
    write_file(output, text.encode("utf-8"), force=force)
    click.echo(terminal(f"wrote {output}; edit it, then run: taper check {output}"), err=True)


@main.command()
@click.argument("regimens", nargs=-1, required=True, metavar="REGIMEN...")
@click.option(
    "-o",
    "--output",
    required=True,
    help="The packet's folder; for several regimens, the folder that gets one packet each.",
)
@click.option("--large-print", is_flag=True, help="Bigger text in the patient handout.")
@paper_options
@force_option
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Packets built at once in a print run (default: the number of CPUs).",
)
@click.option(
    "--previous",
    # Read (and a missing or unreadable one reported, exit 1) by taper.previous.
    type=click.Path(path_type=Path, readable=False),
    help="The packet this plan replaces (its folder or its plan.json): the pharmacist sheet "
    "lists the days that changed and what is still to supply. One regimen only.",
)
@_lang_option
def build(
    regimens: tuple[str, ...],
    output: str,
    large_print: bool,
    paper: str,
    force: bool,
    jobs: int | None,
    previous: Path | None,
    lang: str | None,
) -> None:
    """Write the whole packet: plan.json, reminders.ics, three PDF handouts, plan.fhir.json.

    Given several regimens, a folder of them or a glob ("orders/*.toml"), it is a print run:
    one packet folder per regimen inside OUTPUT, named from the file (jane.toml → OUTPUT/jane/).
    A regimen with problems is reported and the others are still built (exit 1 if any failed).

    Examples: taper build jane.toml -o jane/     taper build orders/ -o packets/ --jobs 2
    """
    from taper import batch

    if batch.is_print_run(regimens):
        if previous is not None:
            raise click.UsageError("--previous goes with one regimen, not a print run")
        _print_run(regimens, Path(output), large_print, paper, force, jobs, lang)
        return
    from taper.api import Options, packet
    from taper.files.writing import OutputFolder

    regimen = Path(regimens[0])
    batch.load_renderers(freeze=_PROGRAM)
    course = _in_language(load(regimen), lang)
    out = OutputFolder(output, force=force, inputs={"the regimen": regimen})
    old = None
    if previous is not None:
        from taper.checks.previous import read_previous
        from taper.files.reading import read_previous_plan

        old = read_previous(previous, course, read=read_previous_plan)
    options = Options(stamp=build_stamp(), paper=paper, large_print=large_print, previous=old)
    files = packet(course, options)
    for note in out.write(files):
        click.echo(terminal(note), err=True)
    click.echo(terminal(f"wrote {', '.join(files)} to {output}"), err=True)


def _print_run(
    arguments: tuple[str, ...],
    output: Path,
    large_print: bool,
    paper: str,
    force: bool,
    jobs: int | None,
    lang: str | None = None,
) -> None:
    import gc
    import time

    from taper import batch
    from taper.files.signals import Interrupted

    gc.enable()  # off for a single command (entry); a print run may build hundreds of packets
    regimens = batch.regimen_files(arguments)
    options: dict[str, Any] = {
        "today": today(),
        "stamp": build_stamp(),
        "paper": paper,
        "large_print": large_print,
        "force": force,
        "workers": jobs or batch.default_workers(),
        "freeze": _PROGRAM,
        "language": lang,
    }
    started = time.time_ns()
    try:
        if sys.stderr.isatty():
            with click.progressbar(length=len(regimens), label="Building", file=sys.stderr) as bar:
                outcomes = batch.print_run(
                    regimens, output, progress=lambda _: bar.update(1), **options
                )
        else:
            outcomes = batch.print_run(regimens, output, **options)
    except Interrupted as err:
        built = batch.packets_written(regimens, output, started)
        click.echo(
            terminal(
                f"Interrupted: {built} of {len(regimens)} packets were written in {output}, "
                "each whole; no other packet was written or changed."
            ),
            err=True,
        )
        raise click.exceptions.Exit(ExitCode.for_signal(err.signum)) from err
    failed = [outcome for outcome in outcomes if outcome.error is not None]
    for outcome in outcomes:
        for note in outcome.notes:
            click.echo(terminal(note), err=True)
    for outcome in failed:
        click.echo(terminal(f"Error: {outcome.error}"), err=True)
    built = len(outcomes) - len(failed)
    click.echo(terminal(f"built {built} of {len(outcomes)} packets in {output}"), err=True)
    if failed:
        which = "it" if len(failed) == 1 else "them"
        raise click.ClickException(
            f"{len(failed)} of {len(outcomes)} regimens failed; no packet was written for {which}"
        )


@main.command()
@regimen_argument
@click.option("-o", "--output", default="-", show_default=True, help="The JSON file to write.")
@force_option
def fhir(regimen: Path, output: str, force: bool) -> None:
    """Write the course as an HL7 FHIR R4 Bundle (JSON) for the hospital's record.

    Example: taper fhir jane.toml -o jane.fhir.json
    """
    from taper.export.fhir import render_fhir
    from taper.files.writing import OutputFile

    course = load(regimen)
    OutputFile(output, force=force, inputs={"the regimen": regimen}).write(render_fhir(course))


@main.command(name="import")
@click.argument("order", type=click.Path(path_type=Path, dir_okay=True, allow_dash=False))
@click.option("-o", "--output", default="-", show_default=True, help="The regimen file to write.")
@click.option("--timezone", type=TimezoneType(), help="IANA time zone (default: this machine's).")
@click.option("--start", type=DateType(), help="Course day 1, when the order gives no start date.")
@click.option("--weight", help='The patient\'s weight for per-kg doses, such as "70 kg".')
@force_option
def import_(
    order: Path,
    output: str,
    timezone: str | None,
    start: date | None,
    weight: str | None,
    force: bool,
) -> None:
    """Write a regimen from an EHR's order in FHIR R4 JSON (a MedicationRequest or a Bundle).

    The regimen opens with "imported from FILE: check every dose before use" and keeps the
    order's free text as comments; it is written only when it passes taper check.

    Example: taper import order.json -o jane.toml --timezone America/New_York
    """
    from taper.fhir_import import FHIR_INPUT, ImportOptions, checked_import
    from taper.files.reading import read_input
    from taper.files.writing import OutputFile
    from taper.read.errors import InputFileError, Problem, RegimenError
    from taper.read.templates import machine_timezone
    from taper.read.units import parse_weight

    if weight is not None:
        try:
            parse_weight(weight)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--weight") from err
    out = OutputFile(output, force=force, inputs={"the order": order})
    try:
        data = read_input(order, FHIR_INPUT)
    except InputFileError as err:
        raise RegimenError(order.name, [Problem("", str(err))]) from err
    zone = timezone or machine_timezone()
    if zone is None:  # this machine's zone names no place (a POSIX rule in TZ): never guessed
        raise click.UsageError("pass the course's zone with --timezone, such as America/New_York")
    options = ImportOptions(zone, start, weight)
    name = Path(output).name if output != "-" else "regimen.toml"
    text = checked_import(data, order.name, options, name)
    out.write(text.encode("utf-8"))
    if output != "-":
        click.echo(
            terminal(f"wrote {output}; check every dose, then run: taper check {output}"), err=True
        )


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="The port on 127.0.0.1 (0: any free port).",
)
@click.option("--no-browser", is_flag=True, help="Print the address; do not open a browser.")
def serve(port: int, no_browser: bool) -> None:
    """Serve the nurse's page and the local API on this machine only (127.0.0.1).

    The first line printed is the address to open, with this launch's token. Ctrl-C stops it.

    Example: taper serve --no-browser
    """
    from taper.web.serve import run

    run(port=port, open_browser=not no_browser)
