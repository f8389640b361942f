"""Who may use a ``taper serve``: the launch's secrets, and where each is kept.

- **The lasting token** (printed on the first line) is for scripts: ``Authorization: token T``
  or ``?token=T``. It never goes on a command line or into a cookie.
- **Opening the browser.** The browser is started on a file (mode 0600, in a folder only this
  user can enter, as Jupyter does) that sends it on to ``/?code=C``: a one-time code, valid
  for a short while, exchanged for a page session. ``ps`` shows only the file's path.
- **The page session.** Cookies are not isolated by port (RFC 6265 §8.5): every server on
  127.0.0.1 receives the cookies of every other port. So the session cookie alone opens only
  the page's shell (``GET /`` and its static files, with no data and no secret). Everything
  else needs the session's **page key** as well, which only this origin can read: the page
  receives it once, in the answer to the code (or to ``?token=``), keeps it in
  ``sessionStorage`` (per origin, port included) and sends it with every request (the header
  ``X-Taper-Key``, or the form field ``taper_key`` for a download). A server on another port
  gets the cookie and nothing it can use; another site gets neither (and its POSTs are refused
  by Origin, as before).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

CODE_SECONDS = 120.0  # a one-time code not used by then is void
MAX_SESSIONS = 256  # the oldest page session is forgotten past this
KEY_HEADER = "X-Taper-Key"
KEY_FIELD = "taper_key"


def same(offered: str, expected: str) -> bool:
    return hmac.compare_digest(offered.encode("utf-8"), expected.encode("utf-8"))


class Launch:
    """The secrets of one ``taper serve``."""

    def __init__(self, token: str, port: int) -> None:
        self.token = token
        self.port = port
        # Per port: a cookie of another taper serve on this machine is another cookie.
        self.cookie = f"taper_session_{port}"
        self._key = secrets.token_bytes(32)
        self._codes: dict[str, float] = {}
        self._sessions: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    # -- the lasting token ----------------------------------------------------------------

    def is_token(self, offered: str) -> bool:
        return bool(offered) and same(offered, self.token)

    # -- one-time codes -------------------------------------------------------------------

    def new_code(self) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = time.monotonic() + CODE_SECONDS
        return code

    def take_code(self, offered: str) -> bool:
        """Whether ``offered`` is a live code; a code works once."""
        now = time.monotonic()
        with self._lock:
            for code, expires in list(self._codes.items()):
                if expires < now:
                    del self._codes[code]
            for code in self._codes:
                if same(offered, code):
                    del self._codes[code]
                    return True
        return False

    # -- page sessions --------------------------------------------------------------------

    def new_session(self) -> tuple[str, str]:
        """A new page session: (the cookie's value, the page key)."""
        session = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[session] = None
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session, self.page_key(session)

    def is_session(self, offered: str) -> bool:
        if not offered:
            return False
        with self._lock:
            return any(same(offered, session) for session in self._sessions)

    def page_key(self, session: str) -> str:
        return hmac.new(self._key, session.encode("utf-8"), hashlib.sha256).hexdigest()

    def is_page_key(self, session: str, offered: str) -> bool:
        return bool(offered) and self.is_session(session) and same(offered, self.page_key(session))


def _private_folder() -> Path:
    """A new folder only this user can enter: in XDG_RUNTIME_DIR (per user, in memory) when
    there is one, else the temporary folder."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    parent = runtime if runtime and os.path.isdir(runtime) else None
    return Path(tempfile.mkdtemp(prefix="taper-serve-", dir=parent))  # mode 0700


def opener_file(url: str) -> Path:
    """A page (mode 0600) that sends the browser on to ``url``: what the browser is started on,
    so that ``url`` (with its one-time code) is not on the browser's command line."""
    folder = _private_folder()
    path = folder / "open.html"
    page = (
        '<!doctype html>\n<html><head><meta charset="utf-8">\n'
        f'<meta http-equiv="refresh" content="0; url={url}">\n'
        "<title>taper serve</title></head>\n"
        f'<body><p><a href="{url}">Open the nurse\'s page</a></p></body></html>\n'
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(page)
    return path


def remove_opener(path: Path) -> None:
    """Remove the opener page and its folder (at the end of the launch)."""
    for target in (path, path.parent):
        with contextlib.suppress(OSError):
            target.unlink() if target == path else target.rmdir()
