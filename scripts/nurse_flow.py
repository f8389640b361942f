"""Measure the nurse's flow on `taper serve` in Chromium: template → name → clinic phone →
packet, by mouse and by keyboard only. Prints clicks, keystrokes and seconds.

    .venv/bin/python scripts/nurse_flow.py            # Debian's Chromium, or TAPER_CHROMIUM

Times are wall-clock on this machine (a shared 2-core box gives noisy numbers: run it twice).
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from typing import Any

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from taper.web import create_app
from taper.web.serve import _QuietHandler

TOKEN = "nurse-flow-token-0123456789"
NAME, PHONE = "Jane Doe", "555-0100"


class Counter:
    def __init__(self, page: Any) -> None:
        self.page, self.clicks, self.keys = page, 0, 0

    def click(self, locator: Any) -> None:
        self.clicks += 1
        locator.click()

    def type(self, text: str) -> None:
        self.keys += len(text)
        self.page.keyboard.type(text)

    def press(self, key: str) -> None:
        self.keys += 1
        self.page.keyboard.press(key)


def settled(page: Any, before: int) -> None:
    page.wait_for_function("n => (window.taperUpdates || 0) > n", arg=before)


def by_mouse(page: Any) -> tuple[Counter, float]:
    count = Counter(page)
    began = time.perf_counter()
    # The default template is the one the picker shows: one click on "Use this template".
    n = page.evaluate("window.taperUpdates || 0")
    count.click(page.get_by_role("button", name="Use this template"))
    settled(page, n)
    count.click(page.get_by_label("Patient name"))
    count.type(NAME)
    count.click(page.get_by_label("Clinic phone"))
    page.keyboard.press("Control+A")
    count.keys += 1
    n = page.evaluate("window.taperUpdates || 0")
    count.type(PHONE)
    settled(page, n)
    page.locator("#packet-bar button.primary:enabled").wait_for()
    with page.expect_download():
        count.click(page.locator("#packet-bar button.primary"))
    return count, time.perf_counter() - began


def tab_until(count: Counter, selector: str, key: str = "Tab", limit: int = 400) -> None:
    for _ in range(limit):
        if count.page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        count.press(key)
    raise AssertionError(f"{key} never reached {selector}")


def by_keyboard(page: Any) -> tuple[Counter, float]:
    count = Counter(page)
    began = time.perf_counter()
    tab_until(count, "#use-template")
    n = page.evaluate("window.taperUpdates || 0")
    count.press("Enter")  # the focus then lands on the patient's name
    settled(page, n)
    count.type(NAME)
    tab_until(count, "#f-care-team-phone")
    count.press("Control+A")
    n = page.evaluate("window.taperUpdates || 0")
    count.type(PHONE)
    settled(page, n)
    # To the packet: Shift+Tab back to the sticky bar's download (it comes first on the page).
    before = count.keys
    tab_until(count, "#packet-bar button.primary", "Shift+Tab")
    print(f"keyboard: {count.keys - before} Shift+Tab from the clinic phone to the packet bar")
    with page.expect_download():
        count.press("Enter")
    return count, time.perf_counter() - began


def main() -> int:
    os.environ.setdefault("TZ", "America/New_York")  # a ward PC in New York, as in issue 23
    chromium = os.environ.get("TAPER_CHROMIUM") or shutil.which("chromium")
    if not chromium:
        print("no Chromium: apt-get install chromium, or set TAPER_CHROMIUM", file=sys.stderr)
        return 2
    holder = make_server(
        "127.0.0.1", 0, lambda e, s: [], threaded=True, request_handler=_QuietHandler
    )
    holder.app = create_app(token=TOKEN, port=holder.port)
    threading.Thread(target=holder.serve_forever, daemon=True).start()
    with sync_playwright() as manager:
        browser = manager.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, flow in (("mouse", by_mouse), ("keyboard", by_keyboard)):
            context = browser.new_context(
                viewport={"width": 1440, "height": 900}, accept_downloads=True
            )
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{holder.port}/?token={TOKEN}")
            count, seconds = flow(page)
            print(
                f"{name}: {count.clicks} clicks, {count.keys} keystrokes, "
                f"{seconds:.1f} s from the template to the packet"
            )
            context.close()
        browser.close()
    holder.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
