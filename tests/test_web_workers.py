"""`taper serve`'s renderer: packets made in worker processes, the same bytes as `taper build`'s,
and a worker that is killed or crashes mid-render answers its request with an error, never a
hang, and is replaced."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from taper.cli import main
from taper.web import workers

REGIMENS = Path(__file__).parent / "regimens"
STAMP = datetime(2026, 11, 22, 12, tzinfo=UTC)
TODAY = date(2026, 11, 21)

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="workers fork (Linux)")

# A course that renders for a good while (a year, twelve doses a day): time to kill its worker.
LONG = (
    (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8").split("[[phase]]", 1)[0]
    + """
[[phase]]
name = "Daily"
drug = "prednisone"
tablets = ["5 mg", "1 mg"]
dose = "1 mg"
days = 366
at = ["00:30", "02:30", "04:30", "06:30", "08:30", "10:30", "12:30", "14:30", "16:30",
      "18:30", "20:30", "22:30"]
"""
)


def job(regimen: bytes, what: str = "packet", **options: object) -> workers.Job:
    settings: dict[str, object] = {"paper": "letter", "large_print": False, **options}
    language = settings.get("language")
    checked_by = settings.get("checked_by")
    return workers.Job(
        regimen,
        "regimen.toml",
        TODAY,
        STAMP,
        str(settings["paper"]),
        bool(settings["large_print"]),
        what,
        language=None if language is None else str(language),
        checked_by=None if checked_by is None else str(checked_by),
    )


def in_spanish(regimen: bytes) -> bytes:
    """The regimen with ``[patient] language = "es"``: Spanish from the file itself."""
    text = regimen.decode("utf-8")
    assert "[patient]\n" in text
    return text.replace("[patient]\n", '[patient]\nlanguage = "es"\n', 1).encode("utf-8")


@pytest.fixture
def pool() -> Iterator[workers.Pool]:
    made = workers.Pool(2, timeout=120)
    try:
        yield made
    finally:
        made.close()


# (how the language is chosen, the build's options, the Job's options)
LANGUAGE_CASES = [
    pytest.param("file", ["--paper", "a4", "--large-print"], {}, id="english"),
    pytest.param(
        "file", ["--paper", "a4", "--lang", "es"], {"language": "es"}, id="spanish-by-lang"
    ),
    pytest.param("spanish-file", ["--large-print"], {}, id="spanish-by-the-file"),
    pytest.param("spanish-file", ["--lang", "en"], {"language": "en"}, id="english-over-file"),
    pytest.param(
        "spanish-file",
        ["--checked-by", "A. Ng, PharmD"],
        {"checked_by": "A. Ng, PharmD"},
        id="signed-spanish",
    ),
]


@pytest.mark.parametrize(("source", "build_options", "job_options"), LANGUAGE_CASES)
def test_a_workers_packet_is_taper_builds(
    pool: workers.Pool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    build_options: list[str],
    job_options: dict[str, object],
) -> None:
    """Every file of the packet (plan.fhir.json included), made in a worker, in English and
    in Spanish (by ``--lang``/``?lang=`` or by the file), is ``taper build``'s."""
    from taper.files import packets

    data = (REGIMENS / "pulse-then-taper.toml").read_bytes()
    if source == "spanish-file":
        data = in_spanish(data)
    regimen = tmp_path / "regimen.toml"
    regimen.write_bytes(data)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(STAMP.timestamp())))
    out = tmp_path / "built"
    result = CliRunner().invoke(main, ["build", str(regimen), "-o", str(out), *build_options])
    assert result.exit_code == 0, result.output
    options = {
        "paper": "a4" if "a4" in build_options else "letter",
        "large_print": "--large-print" in build_options,
        **job_options,
    }
    made = pool.render(job(data, **options))
    assert made.data is not None
    assert made.data == workers.InProcess().render(job(data, **options)).data
    names = packets.names()
    assert "plan.fhir.json" in names
    with zipfile.ZipFile(io.BytesIO(made.data)) as archive:
        assert archive.namelist() == ["regimen.toml", *names]
        assert archive.read("regimen.toml") == data
        for name in names:
            assert archive.read(name) == (out / name).read_bytes(), name
        spanish = job_options.get("language", "es" if source == "spanish-file" else "en") == "es"
        reminders = archive.read("reminders.ics").decode("utf-8")
        assert ("Día 1 de" in reminders) == spanish
    for name in names:  # one file at a time, as the page's downloads ask
        one = pool.render(job(data, name, **options))
        assert one.data == (out / name).read_bytes(), name


def test_the_served_app_hands_its_options_to_the_workers(
    pool: workers.Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's routes give the worker ``?lang=``, paper and large print: /api/packet and the
    page's downloads, from a Pool, are ``taper build``'s bytes with the same options."""
    from taper.web import create_app

    monkeypatch.setattr("taper.read.templates.machine_timezone", lambda: "America/New_York")
    monkeypatch.setattr("taper.files.clock.today", lambda: TODAY)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(STAMP.timestamp())))
    app = create_app(token="t-1234", port=5123, renderer=pool)
    client = app.test_client()
    headers = {"Authorization": "token t-1234"}
    base = "http://127.0.0.1:5123"
    regimen = REGIMENS / "pulse-then-taper.toml"
    out = tmp_path / "built"
    result = CliRunner().invoke(
        main,
        [
            *("build", str(regimen), "-o", str(out), "--lang", "es", "--paper", "a4"),
            *("--checked-by", "J. Smith, RPh"),
        ],
    )
    assert result.exit_code == 0, result.output
    answer = client.post(
        "/api/packet?lang=es&paper=a4&checked_by=J.%20Smith%2C%20RPh",
        data=regimen.read_bytes(),
        headers=headers,
        base_url=base,
    )
    assert answer.status_code == 200, answer.data
    with zipfile.ZipFile(io.BytesIO(answer.data)) as archive:
        for name in archive.namelist()[1:]:
            assert archive.read(name) == (out / name).read_bytes(), name
    # The page: Spanish from the regimen's own [patient] language, large print from the form.
    spanish = in_spanish(regimen.read_bytes())
    fields = {
        "regimen": spanish.decode("utf-8"),
        "large_print": "on",
        "paper": "letter",
        "checked_by": "A. Ng, PharmD",
    }
    zipped = client.post("/ui/download?file=packet", data=fields, headers=headers, base_url=base)
    assert zipped.status_code == 200, zipped.data
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as archive:
        sent = tmp_path / "sent.toml"
        sent.write_bytes(archive.read("regimen.toml"))
        page_out = tmp_path / "page-built"
        result = CliRunner().invoke(
            main,
            [
                *("build", str(sent), "-o", str(page_out), "--large-print"),
                *("--checked-by", "A. Ng, PharmD"),
            ],
        )
        assert result.exit_code == 0, result.output
        for name in archive.namelist()[1:]:
            assert archive.read(name) == (page_out / name).read_bytes(), name
        assert "Día 1 de" in archive.read("reminders.ics").decode("utf-8")
    fhir = client.post(
        "/ui/download?file=plan.fhir.json", data=fields, headers=headers, base_url=base
    )
    assert fhir.status_code == 200
    assert fhir.data == (page_out / "plan.fhir.json").read_bytes()


def test_an_invalid_regimen_comes_back_as_its_check(pool: workers.Pool) -> None:
    made = pool.render(job(b'title = "x"\n'))
    assert made.data is None
    assert made.check is not None
    assert not made.check.valid
    assert made.check.errors


def _render_in_thread(
    pool: workers.Pool, work: workers.Job
) -> tuple[threading.Thread, list[object]]:
    answers: list[object] = []

    def render() -> None:
        try:
            answers.append(pool.render(work))
        except Exception as err:
            answers.append(err)

    thread = threading.Thread(target=render, daemon=True)
    thread.start()
    return thread, answers


def _busy_worker(pids: list[int], before: dict[int, float]) -> int:
    """The worker that has used CPU since ``before`` (the one rendering)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for pid in pids:
            if _cpu(pid) > before[pid] + 0.05:
                return pid
        time.sleep(0.02)
    raise AssertionError("no worker started rendering")


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_worker_killed_mid_render_answers_with_an_error_and_is_replaced(
    pool: workers.Pool,
) -> None:
    pids = pool.pids
    before = {pid: _cpu(pid) for pid in pids}
    thread, answers = _render_in_thread(pool, job(LONG.encode("utf-8")))
    victim = _busy_worker(pids, before)
    os.kill(victim, signal.SIGKILL)
    thread.join(timeout=60)
    assert not thread.is_alive(), "the request hangs"
    assert len(answers) == 1
    assert isinstance(answers[0], workers.WorkerStopped)
    assert "send the request again" in str(answers[0])
    assert victim not in pool.pids
    assert len(pool.pids) == 2
    # The pool still works, on both workers at once.
    regimen = (REGIMENS / "pulse-then-taper.toml").read_bytes()
    results = [_render_in_thread(pool, job(regimen)) for _ in range(3)]
    for thread, answer in results:
        thread.join(timeout=120)
        assert isinstance(answer[0], workers.Made)
        assert answer[0].data is not None


def test_a_worker_that_crashes_answers_with_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(work: workers.Job) -> workers.Made:
        os._exit(70)  # as a segfault in a C library would: no answer, no exception

    monkeypatch.setattr(workers, "make", crash)  # before the fork: the workers have it
    pool = workers.Pool(1, timeout=60)
    try:
        with pytest.raises(workers.WorkerStopped, match="stopped"):
            pool.render(job(b""))
        assert len(pool.pids) == 1  # replaced (and it crashes again: same function)
        with pytest.raises(workers.WorkerStopped):
            pool.render(job(b""))
    finally:
        pool.close()


def test_a_worker_past_its_time_is_ended(monkeypatch: pytest.MonkeyPatch) -> None:
    def stall(work: workers.Job) -> workers.Made:
        time.sleep(60)
        raise AssertionError("not reached")

    monkeypatch.setattr(workers, "make", stall)
    pool = workers.Pool(1, timeout=0.5)
    try:
        (stalled,) = pool.pids
        with pytest.raises(workers.WorkerStopped, match="took too long"):
            pool.render(job(b""))
        assert pool.pids != [stalled]
        assert not Path(f"/proc/{stalled}").exists() or _state(stalled) in ("Z", "X")
    finally:
        pool.close()


def test_a_worker_is_recycled_after_its_packets() -> None:
    pool = workers.Pool(1, recycle_after=2)
    try:
        regimen = (REGIMENS / "pulse-then-taper.toml").read_bytes()
        first = pool.pids
        for _ in range(2):
            assert pool.render(job(regimen, "plan.json")).data
        assert pool.pids != first
        assert pool.render(job(regimen, "plan.json")).data
    finally:
        pool.close()


def _state(pid: int) -> str:
    """The process's state letter ("Z" a zombie); "X" (dead) once it is gone, even between a
    caller's check that it exists and this read."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return "X"


def _sockets(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed while listed
            count += os.readlink(fd).startswith("socket:")
    return count


def _children(pid: int) -> list[int]:
    """The process's children, from each of its threads; a thread that ends while they are
    listed (the server's request threads come and go) has none."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found.extend(int(p) for p in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


@pytest.mark.slow
def test_served_worker_killed_mid_render_answers_503_then_serves(tmp_path: Path) -> None:
    """Over HTTP, the real server: a worker killed mid-render; its request gets a 503 with why,
    the next request is served; stopping the server leaves no worker behind."""
    process = subprocess.Popen(
        [sys.executable, "-m", "taper", "serve", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline().strip()
            base, _, token = line.partition("/?token=")
            pids = _children(process.pid)
            assert len(pids) == workers.default_count()
            before = {pid: _cpu(pid) for pid in pids}

            def send(body: bytes) -> tuple[int, bytes]:
                request = urllib.request.Request(
                    f"{base}/api/packet",
                    data=body,
                    method="POST",
                    headers={"Authorization": f"token {token}"},
                )
                try:
                    with urllib.request.urlopen(request, timeout=120) as answer:
                        return answer.status, answer.read()
                except urllib.error.HTTPError as err:
                    with err:
                        return err.code, err.read()

            answers: list[tuple[int, bytes]] = []
            thread = threading.Thread(target=lambda: answers.append(send(LONG.encode())))
            thread.start()
            victim = _busy_worker(pids, before)
            os.kill(victim, signal.SIGKILL)
            thread.join(timeout=120)
            assert not thread.is_alive(), "the request hangs"
            status, body = answers[0]
            assert status == 503
            assert b"send the request again" in body
            status, body = send((REGIMENS / "pulse-then-taper.toml").read_bytes())
            assert status == 200
            assert zipfile.ZipFile(io.BytesIO(body)).namelist()[0] == "regimen.toml"
            now = _children(process.pid)
            assert victim not in now
            assert len(now) == len(pids)
            # Each worker holds its pipe and none of the server's sockets: not the listener,
            # not a connection open when it was forked (the replacement was forked while the
            # killed request's connection was open).
            for pid in now:
                assert _sockets(pid) == 1, f"worker {pid} holds the server's sockets"
        finally:
            process.terminate()
            assert process.wait(timeout=30) == 0
    for pid in now:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
            assert time.monotonic() < deadline, f"worker {pid} outlived the server"
            time.sleep(0.05)


@pytest.mark.slow
def test_stopping_the_server_mid_render_ends_its_workers_and_the_request(tmp_path: Path) -> None:
    """SIGTERM while a long packet renders: the guarded server closes its connections, the
    workers end, the client's request ends (no hang) and the server exits 0 at once."""
    process = subprocess.Popen(
        [sys.executable, "-m", "taper", "serve", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with process:
        assert process.stdout is not None
        base, _, token = process.stdout.readline().strip().partition("/?token=")
        pids = _children(process.pid)
        before = {pid: _cpu(pid) for pid in pids}
        outcome: list[object] = []

        def send() -> None:
            request = urllib.request.Request(
                f"{base}/api/packet",
                data=LONG.encode(),
                method="POST",
                headers={"Authorization": f"token {token}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=120) as answer:
                    outcome.append(answer.status)
            except (urllib.error.URLError, OSError) as err:
                outcome.append(repr(err))  # not the error: its frames hold the client's socket

        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        _busy_worker(pids, before)
        started = time.monotonic()
        process.terminate()
        assert process.wait(timeout=30) == 0
        assert time.monotonic() - started < 15, "the server waited for the packet"
        thread.join(timeout=30)
        assert not thread.is_alive(), "the request hangs after the server stopped"
        assert outcome and outcome[0] != 200
    # The test's own client socket, reset by the stopping server, is left to the collector by
    # urllib; collect it here, where its ResourceWarning is ours, not a later test's failure.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    for pid in pids:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
            assert time.monotonic() < deadline, f"worker {pid} outlived the server"
            time.sleep(0.05)


_SIGNAL_IN_NEXT_FORK: list[int] = []  # a signal to send from inside the next fork's hooks


def _signal_in_fork() -> None:
    if _SIGNAL_IN_NEXT_FORK:
        os.kill(os.getpid(), _SIGNAL_IN_NEXT_FORK.pop())


os.register_at_fork(before=_signal_in_fork)  # for good: a hook cannot be taken back


def test_a_signal_while_the_server_forks_its_workers_stops_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C while ``taper serve`` forks its workers stops it once they are started, and
    ends them. Handled inside the fork's hooks, the error it raised was printed and dropped by
    Python, and the server started as if Ctrl-C had not been pressed (the print run's workers
    had the same window: ``test_a_signal_while_a_worker_is_forked_stops_the_run``)."""
    import multiprocessing

    from taper.files import signals
    from taper.web import serve

    if "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin":
        pytest.skip("fork only")
    started: list[workers._Worker] = []
    real_start = workers.Pool._start

    def start(pool: workers.Pool) -> workers._Worker:
        if len(started) == 1:  # the second worker's fork
            _SIGNAL_IN_NEXT_FORK.append(signal.SIGINT)
        worker = real_start(pool)
        started.append(worker)
        return worker

    monkeypatch.setattr(workers.Pool, "_start", start)
    monkeypatch.setattr(workers, "default_count", lambda: 2)
    try:
        with signals.interruption_guard(), pytest.raises(signals.Interrupted) as caught:
            serve._renderer()
        assert caught.value.signum == signal.SIGINT
        assert len(started) == 2
        for worker in started:  # ended by the server's pool, not by the test
            worker.process.join(timeout=10)
            assert not worker.process.is_alive()
    finally:
        _SIGNAL_IN_NEXT_FORK.clear()
        for worker in started:
            worker.end()
