"""`taper serve` under attack (issue 20): half-sent requests, the token on the browser's command
line, the session cookie that every port of 127.0.0.1 receives.

Raw sockets against a real server on loopback (a `taper serve` process, or the same server
classes in a thread with short limits), and Flask's test client for the session rules.
"""

from __future__ import annotations

import http.client
import os
import re
import resource
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REGIMENS = Path(__file__).parent / "regimens"
PORT = 5124
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "hostile-token-0123456789"


# -- a real `taper serve` ------------------------------------------------------------------------


def _limit_descriptors() -> None:
    # The server may hold 128 descriptors: without a cap on connections, 300 half-sent
    # requests use them all up and the page stops answering.
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))


class Served:
    def __init__(self, process: subprocess.Popen[str], line: str) -> None:
        self.process = process
        self.line = line
        match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=([A-Za-z0-9_-]+)", line)
        assert match, line
        self.port = int(match.group(1))
        self.token = match.group(2)

    def get(self, path: str, timeout: float = 5.0) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers={"Authorization": f"token {self.token}"})
            answer = connection.getresponse()
            answer.read()
            return answer.status
        finally:
            connection.close()

    def descriptors(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


@pytest.fixture
def served() -> Iterator[Served]:
    process = subprocess.Popen(
        [sys.executable, "-m", "taper", "serve", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limit_descriptors,
    )
    with process:
        try:
            assert process.stdout is not None
            yield Served(process, process.stdout.readline().strip())
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def half_sent(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that send a request line and a Host line, then nothing."""
    opened = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n".encode())
        opened.append(connection)
    return opened


@pytest.fixture
def many_descriptors() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 4096) if hard != resource.RLIM_INFINITY else 4096
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts descriptors in /proc")
def test_half_sent_requests_do_not_lock_the_nurse_out(
    served: Served, many_descriptors: None
) -> None:
    assert served.get("/api/templates") == 200
    attackers = half_sent(served.port, 300)
    try:
        time.sleep(0.5)
        # The page answers during the attack: a new connection pushes out a half-sent one.
        started = time.monotonic()
        assert served.get("/api/templates") == 200
        assert time.monotonic() - started < 5
        # The server holds at most its cap of connections, far under its 128 descriptors.
        assert served.descriptors() < 64
    finally:
        for connection in attackers:
            connection.close()
    time.sleep(0.5)
    assert served.get("/api/templates") == 200  # and once they are dropped
    assert served.process.poll() is None


@pytest.mark.slow  # seconds of subprocess work each: .ci/run runs it, the README's command does not
def test_the_accept_loop_does_not_spin_and_the_server_stops(
    served: Served, many_descriptors: None
) -> None:
    attackers = half_sent(served.port, 200)
    try:
        before = _cpu_seconds(served.process.pid)
        time.sleep(2)
        # Idle attackers cost no CPU: nothing spins on a descriptor it cannot accept.
        assert _cpu_seconds(served.process.pid) - before < 1.0
    finally:
        for connection in attackers:
            connection.close()
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=15) == 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the same server, in a thread, with short limits ---------------------------------------------


@pytest.fixture
def quick_server() -> Iterator[Any]:
    from taper.web.app import create_app
    from taper.web.limits import GuardedHandler, GuardedServer

    class Quick(GuardedHandler):
        idle_seconds = 0.5
        request_seconds = 1.5

    class Small(GuardedServer):
        max_connections = 4

    server = Small("127.0.0.1", 0, lambda e, s: [], handler=Quick)
    server.app = create_app(token=TOKEN, port=server.port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def ask(port: int, path: str = "/api/templates") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Authorization": f"token {TOKEN}"})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def closed_by_server(connection: socket.socket, within: float) -> bool:
    connection.settimeout(within)
    try:
        return connection.recv(1) == b""
    except ConnectionError:
        return True
    except TimeoutError:
        return False


def test_a_silent_connection_is_closed_after_the_idle_time(quick_server: Any) -> None:
    (connection,) = half_sent(quick_server.port, 1)
    with connection:
        assert closed_by_server(connection, within=3)
    time.sleep(0.2)
    assert quick_server.open_connections() == 0


def test_a_trickled_request_is_closed_at_its_deadline(quick_server: Any) -> None:
    """A byte every 0.3 s never trips the idle time; the whole request's deadline cuts it."""
    connection = socket.create_connection(("127.0.0.1", quick_server.port), timeout=5)
    with connection:
        started = time.monotonic()
        closed = False
        for byte in b"GET /api/templates HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            if closed_by_server(connection, within=0.3):
                closed = True
                break
        assert closed
        assert time.monotonic() - started < 4


def test_a_slow_body_is_closed_at_its_deadline(quick_server: Any) -> None:
    connection = socket.create_connection(("127.0.0.1", quick_server.port), timeout=5)
    with connection:
        connection.sendall(
            b"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: token %s\r\n"
            b"Content-Length: 1000\r\n\r\n" % (quick_server.port, TOKEN.encode())
        )
        started = time.monotonic()
        answered_or_closed = False
        for _ in range(20):
            try:
                connection.sendall(b"#")
            except OSError:
                answered_or_closed = True
                break
            connection.settimeout(0.3)
            try:
                data = connection.recv(65536)
            except TimeoutError:
                continue
            answered_or_closed = True  # an error answer, or closed: either way not held
            assert data == b"" or data.startswith(b"HTTP/1.1 ")
            break
        assert answered_or_closed
        assert time.monotonic() - started < 4


def test_past_the_cap_the_slowest_connection_makes_room(quick_server: Any) -> None:
    attackers = half_sent(quick_server.port, 10)
    try:
        time.sleep(0.1)
        assert ask(quick_server.port) == 200
        assert quick_server.open_connections() <= 4 + 1
        pushed_out = sum(closed_by_server(c, within=0.05) for c in attackers)
        assert pushed_out >= 6
    finally:
        for connection in attackers:
            connection.close()
    assert ask(quick_server.port) == 200


# -- the browser is never given the lasting token ------------------------------------------------


RECORDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    Path(sys.argv[1]).write_text("\\n".join(sys.argv[2:]))
    """
)


def test_the_browser_is_opened_on_a_private_file_not_the_token(tmp_path: Path) -> None:
    recorder = tmp_path / "browser.py"
    recorder.write_text(RECORDER)
    record = tmp_path / "argv.txt"
    env = {
        **os.environ,
        "BROWSER": f"{sys.executable} {recorder} {record} %s",
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    env.pop("DISPLAY", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "taper", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    with process:
        try:
            assert process.stdout is not None
            served = Served(process, process.stdout.readline().strip())
            for _ in range(100):
                if record.exists() and record.read_text():
                    break
                time.sleep(0.1)
            argv = record.read_text()
            assert served.token not in argv  # what `ps` would show
            assert argv.startswith("file://")
            opener = Path(urllib.request.url2pathname(argv.removeprefix("file://")))
            assert stat.S_IMODE(opener.stat().st_mode) == 0o600
            assert stat.S_IMODE(opener.parent.stat().st_mode) == 0o700
            page = opener.read_text()
            assert served.token not in page
            code_url = re.search(r'url=(http://127\.0\.0\.1:\d+/\?code=[A-Za-z0-9_-]+)"', page)
            assert code_url, page
            # The code opens the page once: a session cookie (not the token) and a page key.
            answer = urllib.request.urlopen(code_url.group(1), timeout=10)
            cookie = answer.headers["Set-Cookie"]
            body = answer.read().decode()
            assert cookie.startswith(f"taper_session_{served.port}=")
            assert served.token not in cookie and served.token not in body
            assert re.search(r'<meta name="taper-key" content="[0-9a-f]{64}">', body)
            with pytest.raises(urllib.error.HTTPError) as again:
                urllib.request.urlopen(code_url.group(1), timeout=10)
            assert again.value.code == 403
            again.value.close()
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
    assert not opener.exists()  # removed when the server stops


# -- the cookie every port receives opens nothing --------------------------------------------------


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Flask:
    from taper.web import create_app

    monkeypatch.setattr("taper.read.templates.machine_timezone", lambda: "America/New_York")
    return create_app(token=TOKEN, port=PORT)


def opened(app: Flask) -> tuple[FlaskClient, str, str]:
    """A browser that opened the printed address: (its client, its cookie, its page key)."""
    client = app.test_client()
    first = client.get(f"/?token={TOKEN}", base_url=BASE)
    assert first.status_code == 200
    key = re.search(r'<meta name="taper-key" content="([0-9a-f]{64})">', first.text)
    assert key
    cookie = first.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    return client, cookie, key.group(1)


def regimen_form() -> dict[str, str]:
    return {"regimen": (REGIMENS / "pulse-then-taper.toml").read_text(encoding="utf-8")}


def test_the_cookie_alone_opens_only_the_shell(app: Flask) -> None:
    """What a server on another port of 127.0.0.1 receives (RFC 6265 §8.5) is the cookie; with
    it alone: the blank page and its files, no key, no API, no page action."""
    _, cookie, _ = opened(app)
    thief = app.test_client()
    thief.set_cookie(f"taper_session_{PORT}", cookie, domain="127.0.0.1")
    shell = thief.get("/", base_url=BASE)
    assert shell.status_code == 200
    assert '<meta name="taper-key" content="">' in shell.text
    assert TOKEN not in shell.text
    thief.get("/static/taper.js", base_url=BASE).close()
    for method, url in [
        ("GET", "/api/templates"),
        ("POST", "/api/check"),
        ("POST", "/api/packet"),
        ("POST", "/ui/update"),
        ("POST", "/ui/download?file=packet"),
        ("POST", "/ui/upload"),
    ]:
        answer = thief.open(url, method=method, base_url=BASE, data=regimen_form())
        assert answer.status_code == 403, url


def test_the_page_key_with_the_cookie_opens_the_page(app: Flask) -> None:
    client, _, key = opened(app)
    update = client.post(
        "/ui/update", base_url=BASE, data=regimen_form(), headers={"X-Taper-Key": key}
    )
    assert update.status_code == 200
    # A download is a form: the key is a field.
    download = client.post(
        "/ui/download?file=plan.json", base_url=BASE, data={**regimen_form(), "taper_key": key}
    )
    assert download.status_code == 200
    assert download.mimetype == "application/json"


def test_a_key_needs_its_own_session(app: Flask) -> None:
    client, _, key = opened(app)
    _, _, other_key = opened(app)
    assert key != other_key
    for wrong in (other_key, key[:-1] + ("0" if key[-1] != "0" else "1"), "", TOKEN):
        answer = client.post(
            "/ui/update", base_url=BASE, data=regimen_form(), headers={"X-Taper-Key": wrong}
        )
        assert answer.status_code == 403, wrong
    # A key without the cookie: nothing.
    bare = app.test_client().post(
        "/ui/update", base_url=BASE, data=regimen_form(), headers={"X-Taper-Key": key}
    )
    assert bare.status_code == 403


def test_a_one_time_code_works_once_and_expires(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taper.web import session

    launch = app.extensions["taper_launch"]
    code = launch.new_code()
    client = app.test_client()
    assert client.get(f"/?code={code}", base_url=BASE).status_code == 200
    assert app.test_client().get(f"/?code={code}", base_url=BASE).status_code == 403
    late = launch.new_code()
    now = time.monotonic()
    monkeypatch.setattr(session.time, "monotonic", lambda: now + session.CODE_SECONDS + 1)
    assert app.test_client().get(f"/?code={late}", base_url=BASE).status_code == 403


def test_a_cross_site_post_with_the_page_session_is_still_refused(app: Flask) -> None:
    client, _, key = opened(app)
    for origin in ("http://evil.example", f"http://127.0.0.1:{PORT + 1}", "null"):
        answer = client.post(
            "/ui/download?file=packet",
            base_url=BASE,
            data={**regimen_form(), "taper_key": key},
            headers={"Origin": origin},
        )
        assert answer.status_code == 403


# -- the guard, fuzzed -----------------------------------------------------------------------------

ROUTES = [
    ("GET", "/"),
    ("GET", "/api/templates"),
    ("GET", "/api/templates/ms-iv-pulse-3-day"),
    ("POST", "/api/check"),
    ("POST", "/ui/update"),
    ("POST", "/ui/download"),
    ("GET", "/static/taper.js"),
]
noise = st.text(alphabet=st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40)
GUARDED: Flask | None = None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    route=st.sampled_from(ROUTES),
    token=noise,
    header=noise,
    cookie=noise,
    key=noise,
    code=noise,
)
def test_no_forged_credential_passes_the_guard(
    route: tuple[str, str], token: str, header: str, cookie: str, key: str, code: str
) -> None:
    from taper.web import create_app

    global GUARDED
    GUARDED = GUARDED or create_app(token=TOKEN, port=PORT)
    client = GUARDED.test_client()
    client.set_cookie(f"taper_session_{PORT}", cookie.encode("latin-1").decode("utf-8", "replace"))
    method, url = route
    query = {"token": token} if token else {}
    if code:
        query["code"] = code
    answer = client.open(
        url,
        method=method,
        base_url=BASE,
        query_string=query,
        headers={"Authorization": header, "X-Taper-Key": key},
        data={"taper_key": key},
    )
    answer.close()
    assert answer.status_code == 403, (route, answer.status_code)
