"""`taper serve` end to end in a real browser: Playwright for Python driving an installed Chromium.

Playwright never downloads a browser here: the tests use Debian's Chromium (``apt-get install
chromium``) or the one ``TAPER_CHROMIUM`` names. Without one they skip, loudly; with
``TAPER_REQUIRE_BROWSER=1`` (set by ``.ci/run``) a missing browser fails instead.
Screenshots go to ``TAPER_SCREENSHOTS`` when it is set (a folder), else to a temporary folder.
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from taper import api
from taper.files import clock
from taper.web import create_app

VENDOR = Path(__file__).parent / "vendor"
TOKEN = "browser-token-0123456789"
TEMPLATE = "ms-iv-pulse-then-prednisone-taper"
PACKET_ORDER = [
    "regimen.toml",
    "plan.json",
    "reminders.ics",
    "patient.pdf",
    "pharmacist.pdf",
    "nurse.pdf",
    "plan.fhir.json",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# A real Chromium (installed by .ci/run): the README's quick command leaves these out.
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def find_chromium() -> str | None:
    named = os.environ.get("TAPER_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for candidate in ("chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _missing(reason: str) -> None:
    if os.environ.get("TAPER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TAPER_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(
        f"BROWSER TESTS SKIPPED: {reason}. Install Chromium (apt-get install chromium) "
        "or point TAPER_CHROMIUM at one.",
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = find_chromium()
    if chromium is None:
        named = os.environ.get("TAPER_CHROMIUM")
        _missing(
            f"TAPER_CHROMIUM={named} is not a file"
            if named
            else "no Chromium was found (TAPER_CHROMIUM is unset and no chromium is on PATH)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install '.[test]')")
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    except Exception as err:
        manager.stop()
        _missing(f"Chromium at {chromium} would not start ({err})")
    yield launched
    launched.close()
    manager.stop()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from werkzeug.serving import make_server

    from taper.web.serve import _QuietHandler

    holder = make_server(
        "127.0.0.1", 0, lambda e, s: [], threaded=True, request_handler=_QuietHandler
    )
    holder.app = create_app(token=TOKEN, port=holder.port)
    thread = threading.Thread(target=holder.serve_forever, daemon=True)
    thread.start()
    # The page defaults to this machine's zone; CI's is UTC, which has no emergency number
    # taper can trust: the tests run as a clinic in New York.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("taper.read.templates.machine_timezone", lambda: "America/New_York")
        yield f"http://127.0.0.1:{holder.port}"
    holder.shutdown()
    holder.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("TAPER_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    # The page runs under its own Content-Security-Policy: a violation is a console error.
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda err: problems.append(str(err)))
    opened.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    opened.goto(f"{server}/?token={TOKEN}")
    yield opened
    context.close()
    assert problems == []


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def use_template(page: Any, name: str = TEMPLATE) -> None:
    """Use template ``name`` and see the page call it valid: judged on this template's own
    answer, once it is on the page and no request is in flight (until then the summary may
    still say "Valid" of the form before it)."""
    page.get_by_label("Template").select_option(name)
    with page.expect_response(re.compile(r"/ui/template$")) as answer:
        page.get_by_role("button", name="Use this template").click()
    said = re.search(r'id="check-summary">([^<]*)<', answer.value.text())
    assert said is not None, "the template's answer has no check summary"
    check = expect()
    check(page.locator(".htmx-request")).to_have_count(0)
    check(page.locator("#check-summary")).to_have_text(html.unescape(said.group(1)).strip())
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: "))


def settled(page: Any) -> None:
    """Wait as a nurse does before a download, after reading "Ready": the status says the
    packet matches the form and no check is in flight."""
    check = expect()
    check(page.locator("#download-status")).to_have_text(re.compile(r"^Ready: "))
    check(page.locator(".htmx-request")).to_have_count(0)


def download_packet(page: Any) -> bytes:
    """Click "Download packet" once the page has settled (:func:`settled`)."""
    settled(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download packet").click()
    return Path(download.value.path()).read_bytes()


def check_packet(data: bytes) -> str:
    """The zip's files are the packet ``taper build`` makes from its regimen.toml."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == PACKET_ORDER
        regimen = archive.read("regimen.toml")
        plan = api.load(regimen, today=clock.today())
        built = api.packet(plan, api.Options(clock.build_stamp()))
        for name, content in built.items():
            assert archive.read(name) == content, name
    return regimen.decode("utf-8")


def test_template_to_packet_with_an_error_on_the_way(page: Any) -> None:
    check = expect()
    use_template(page)
    page.get_by_label("Patient name").fill("Jane Doe")
    check(page.locator("#preview")).to_contain_text("Jane Doe")
    dose = page.get_by_label("Step 3 dose")
    dose.fill("20 mgg")
    error = page.locator("#e-phase-2-steps-3-dose")
    check(error).to_contain_text('"20 mgg"')
    check(dose).to_have_attribute("aria-invalid", "true")
    check(page.locator("#errors")).to_contain_text("Phase 2, step 3, dose")
    check(page.get_by_role("button", name="Download packet")).to_be_disabled()
    dose.fill("30 mg")
    check(error).to_have_text("")
    check(dose).not_to_have_attribute("aria-invalid", "true")
    check(page.locator("#preview")).to_contain_text("Prednisone 30 mg")
    regimen = check_packet(download_packet(page))
    assert 'name = "Jane Doe"' in regimen
    assert '{ dose = "30 mg", days = 7 }' in regimen
    # A handout previewed in the page, from the same form.
    with page.expect_response(re.compile(r"/ui/download\?file=patient\.pdf&inline=1$")) as shown:
        page.get_by_role("button", name="Preview the patient handout").click()
    assert shown.value.status == 200
    assert shown.value.headers["content-type"] == "application/pdf"
    # (Chromium shows it in its PDF viewer; its bytes are checked through the test client.)


def tab_to(page: Any, selector: str, limit: int = 300, back: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"Tab never reached {selector}")


def focused_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement?.id ?? ''"))


def test_the_same_with_the_keyboard_only(page: Any) -> None:
    check = expect()
    tab_to(page, "#template")
    for _ in range(40):
        if page.evaluate("document.activeElement.value") == TEMPLATE:
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == TEMPLATE
    page.keyboard.press("Tab")
    assert focused_id(page) == "use-template"
    page.keyboard.press("Enter")
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: "))
    # The form was redrawn: the focus lands on the patient's name.
    check(page.locator("#f-patient-name")).to_be_focused()
    page.keyboard.type("Jane Doe")
    check(page.locator("#preview")).to_contain_text("Jane Doe")

    tab_to(page, "#f-phase-2-steps-3-dose")
    page.keyboard.press("Control+A")
    page.keyboard.type("20 mgg")
    check(page.locator("#e-phase-2-steps-3-dose")).to_contain_text('"20 mgg"')
    page.keyboard.press("Control+A")
    page.keyboard.type("30 mg")
    check(page.locator("#e-phase-2-steps-3-dose")).to_have_text("")

    # An arrow key on the dosing form's picker asks before it clears the steps; "Cancel"
    # keeps them and the picker says "steps" again.
    tab_to(page, "#f-phase-2-form")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(800)  # past the debounce: an update would have gone by now
    check(page.locator("#f-phase-2-steps-4-dose")).to_have_value("10 mg")
    assert page.evaluate("document.activeElement.value") == "steps"

    # Add a step, then take it away again: the focus follows.
    tab_to(page, "#f-phase-2-steps-add")
    page.keyboard.press("Enter")
    check(page.locator("#f-phase-2-steps-5-dose")).to_be_focused()
    check(page.locator("#errors")).to_contain_text("Phase 2, step 5")
    tab_to(page, "button[aria-label='Remove step 5']")
    page.keyboard.press("Enter")
    check(page.locator("#f-phase-2-steps-add")).to_be_focused()
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: "))

    # The regimen file tab, by arrow key, and back.
    tab_to(page, "#tab-form", back=True)
    page.keyboard.press("ArrowRight")
    check(page.locator("#tab-file")).to_be_focused()
    check(page.locator("#regimen")).to_be_visible()
    page.keyboard.press("ArrowLeft")

    tab_to(page, "button.primary")
    assert page.evaluate("document.activeElement.textContent") == "Download packet"
    settled(page)
    with page.expect_download(timeout=60_000) as download:
        page.keyboard.press("Enter")
    regimen = check_packet(Path(download.value.path()).read_bytes())
    assert 'name = "Jane Doe"' in regimen
    assert '{ dose = "30 mg", days = 7 }' in regimen


def test_file_tab_and_form_stay_in_step(page: Any) -> None:
    check = expect()
    use_template(page)
    page.get_by_role("tab", name="Regimen file").click()
    text = page.locator("#regimen")
    check(text).to_have_value(re.compile(r'dose = "1 g"'))
    text.fill(text.input_value().replace('dose = "1 g"', 'dose = "500 mg"'))
    check(page.locator("#f-phase-1-dose")).to_have_value("500 mg")
    check(page.locator("#preview")).to_contain_text("Methylprednisolone 500 mg")
    page.get_by_role("tab", name="Form").click()
    page.get_by_label("Patient name").fill("Ann Lee")
    check(text).to_have_value(re.compile(r'name = "Ann Lee"'))
    check(page.locator("#comment-note")).to_contain_text("without its comments")
    # Opening a file replaces the form and the file with it, comments and all (after asking:
    # the form was edited).
    page.once("dialog", lambda dialog: dialog.accept())
    page.set_input_files("#upload", str(Path(__file__).parent / "regimens" / "liquid.toml"))
    check(text).to_have_value((Path(__file__).parent / "regimens" / "liquid.toml").read_text())
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: "))


def axe_violations(page: Any) -> list[dict[str, Any]]:
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate((VENDOR / "axe.min.js").read_text(encoding="utf-8"))
        assert page.evaluate("typeof window.axe.run") == "function"
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
    )


def test_axe_finds_nothing_serious(page: Any) -> None:
    check = expect()
    assert axe_violations(page) == [], describe(axe_violations(page))
    use_template(page)
    page.get_by_label("Step 3 dose").fill("20 mgg")
    check(page.locator("#e-phase-2-steps-3-dose")).to_contain_text('"20 mgg"')
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.get_by_label("Step 3 dose").fill("20 mg")
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: "))
    page.get_by_role("tab", name="Calendar").click()
    check(page.locator("#panel-calendar")).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.get_by_role("tab", name="Regimen file").click()
    violations = axe_violations(page)
    assert violations == [], describe(violations)


@pytest.mark.parametrize(
    "name", ["ivig-5-day", "ms-plasma-exchange", "methylprednisolone-dose-pack"]
)
def test_other_templates_reach_a_packet_without_toml(page: Any, name: str) -> None:
    check = expect()
    page.get_by_label("Weight").fill("70 kg")
    page.get_by_label("Template").select_option(name)
    page.get_by_role("button", name="Use this template").click()
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: "))
    check_packet(download_packet(page))


def test_screenshots_of_each_screen(page: Any, shots: Path) -> None:
    """Each screen at 1280×800 and at a phone's width, for a person to look at."""
    check = expect()

    def both(name: str, target: str | None = None) -> None:
        for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
            page.set_viewport_size(size)
            if target is None:
                page.evaluate("window.scrollTo(0, 0)")
            else:
                page.locator(target).scroll_into_view_if_needed()
            # caret="initial": hiding the caret would inject a style the CSP refuses.
            page.screenshot(path=str(shots / f"{name}-{label}.png"), caret="initial")
        page.set_viewport_size(DESKTOP)

    both("1-blank")
    use_template(page)
    page.get_by_label("Patient name").fill("Jane Doe")
    check(page.locator("#preview")).to_contain_text("Jane Doe")
    both("2-template")
    page.get_by_label("Step 3 dose").fill("20 mgg")
    check(page.locator("#e-phase-2-steps-3-dose")).to_contain_text('"20 mgg"')
    both("3-error-at-field", "#f-phase-2-steps-3-dose")
    both("4-errors-region", "#errors")
    page.get_by_label("Step 3 dose").fill("20 mg")
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: "))
    both("5-plan", "#panel-days")
    page.get_by_role("tab", name="Calendar").click()
    both("6-calendar", "#panel-calendar")
    both("7-downloads", "#download-buttons")
    page.get_by_role("tab", name="Regimen file").click()
    both("8-regimen-file", "#tab-file")
    assert len(list(shots.glob("*.png"))) >= 16


def test_leaving_an_edited_page_asks_first(page: Any) -> None:
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.get_by_label("Patient name").click()
    page.keyboard.type("Jane")
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]


def test_changing_how_a_phase_is_dosed(page: Any) -> None:
    check = expect()
    use_template(page)
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.locator("#f-phase-2-form").select_option("taper")
    check(page.get_by_label("Taper from")).to_be_visible()
    assert asked == ["Dose phase 2 as “Taper rule (from, to, by)”? This clears its 4 steps."]
    check(page.locator("#f-phase-2-form")).to_be_focused()
    check(page.locator("#f-phase-2-steps-1-dose")).to_have_count(0)
    for label, value in (("Taper from", "60 mg"), ("Taper to", "10 mg"), ("Down by", "10 mg")):
        page.get_by_label(label).fill(value)
    page.locator("#f-phase-2-taper-every").fill("3")
    check(page.locator("#check-summary")).to_have_text(re.compile(r"^Valid: "))
    check(page.locator("#regimen")).to_have_value(
        re.compile(r'taper = \{ from = "60 mg", to = "10 mg", by = "10 mg", every = 3 \}')
    )


def test_the_page_keeps_its_key_in_the_tab_not_in_a_cookie(page: Any, server: str) -> None:
    """Issue 20: the cookie every port of 127.0.0.1 receives is not the token and opens only
    the page's shell; the page key lives in this tab's sessionStorage and goes with requests."""
    check = expect()
    assert page.url == f"{server}/"  # the token left the address bar (and the history entry)
    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == [f"taper_session_{server.rsplit(':', 1)[1]}"]
    assert TOKEN not in cookies[0]["value"]
    assert page.evaluate("document.querySelector('meta[name=taper-key]').content") == ""
    page.reload()  # the cookie brings the shell back; the tab's key still works
    check(page.locator("#no-key")).to_be_hidden()
    use_template(page)
    page.get_by_label("Patient name").fill("Jane Doe")
    check(page.locator("#preview")).to_contain_text("Jane Doe")
    # A new tab with the cookie alone (what another port's server could replay) has no key.
    other = page.context.new_page()
    other.goto(f"{server}/")
    check(other.locator("#no-key")).to_be_visible()
    with other.expect_response(re.compile(r"/ui/template$")) as refused:
        other.get_by_role("button", name="Use this template").click()
    assert refused.value.status == 403
    other.close()


def test_the_browser_opens_the_page_from_the_private_file(browser: Any, tmp_path: Path) -> None:
    """What `taper serve` starts the browser on: a 0600 file that forwards it to a one-time
    code. The page opens with its key, the address loses the code, and the code is spent."""
    from taper.web.limits import GuardedHandler, GuardedServer
    from taper.web.session import opener_file, remove_opener

    holder = GuardedServer("127.0.0.1", 0, lambda e, s: [], handler=GuardedHandler)
    holder.app = create_app(token=TOKEN, port=holder.port)
    thread = threading.Thread(target=holder.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{holder.port}"
    code = holder.app.extensions["taper_launch"].new_code()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        patch.setattr("taper.read.templates.machine_timezone", lambda: "America/New_York")
        opener = opener_file(f"{base}/?code={code}")
        context = browser.new_context(viewport=DESKTOP)
        try:
            page = context.new_page()
            page.goto(opener.as_uri())
            page.wait_for_url(f"{base}/")
            expect()(page.locator("#no-key")).to_be_hidden()
            use_template(page)  # a request that needs the page key
            stranger = browser.new_context(viewport=DESKTOP)
            answer = stranger.new_page().goto(f"{base}/?code={code}")
            assert answer is not None and answer.status == 403  # spent
            stranger.close()
        finally:
            context.close()
            remove_opener(opener)
            holder.shutdown()
            holder.server_close()
            thread.join(timeout=5)
    assert not opener.exists()


def test_pharmacists_name_in_the_packet_bar_signs_the_downloaded_sheet(page: Any) -> None:
    """The field sits outside the form, in the packet bar: its `form` attribute must still send
    it with the download."""
    import pypdf

    use_template(page)
    page.get_by_label("Pharmacist's name").fill("A. Ng, PharmD")
    with zipfile.ZipFile(io.BytesIO(download_packet(page))) as archive:
        sheet = next(n for n in archive.namelist() if n.endswith("pharmacist.pdf"))
        reader = pypdf.PdfReader(io.BytesIO(archive.read(sheet)))
    assert "A. Ng, PharmD" in "".join(p.extract_text() for p in reader.pages)


def test_the_patients_language_turns_the_plan_and_the_packet_spanish(page: Any) -> None:
    """The page's language choice: the preview speaks Spanish, and the downloaded packet is
    ``taper build``'s from a regimen.toml that says so (its handout and reminders in Spanish)."""
    import pypdf

    check = expect()
    use_template(page)
    check(page.locator("#preview")).not_to_contain_text("Metilprednisolona")
    page.get_by_label("Patient's language").select_option("es")
    check(page.locator("#preview")).to_contain_text("Metilprednisolona")
    data = download_packet(page)
    assert 'language = "es"' in check_packet(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "Día 1 de" in archive.read("reminders.ics").decode("utf-8")
        reader = pypdf.PdfReader(io.BytesIO(archive.read("patient.pdf")))
    assert "Página 1 de" in reader.pages[0].extract_text()
