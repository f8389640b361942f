"""Benchmark: the time from a form change to the updated plan in the nurse's page.

    python bench/web_latency.py [--changes 30] [--chromium PATH] [--shot docs/serve.png]

Starts `taper serve --no-browser`, opens it in Chromium (Playwright, an installed browser),
loads the pulse-then-taper template, then changes a taper step's dose back and forth. Each
change is timed inside the page, from the `input` event to the moment htmx has settled the new
plan into the page (the plan shows the new dose). The page waits 350 ms after the last keystroke
before it asks (the debounce), so the figures are given with it and without it.
With --shot, it also writes the README's screenshot of the page (1280×800).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

MEASURE = """
async ([id, value, expected]) => {
  const field = document.getElementById(id);
  const settled = new Promise((resolve) => {
    const done = (event) => {
      if (event.target.id === "preview" && document.getElementById("preview")
          .textContent.includes(expected)) {
        document.body.removeEventListener("htmx:afterSettle", done);
        resolve(performance.now());
      }
    };
    document.body.addEventListener("htmx:afterSettle", done);
  });
  const sent = new Promise((resolve) => document.body.addEventListener(
    "htmx:beforeRequest", () => resolve(performance.now()), {once: true}));
  const start = performance.now();
  field.value = value;
  field.dispatchEvent(new Event("input", {bubbles: true}));
  const [asked, end] = [await sent, await settled];
  return [end - start, end - asked];
}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30)
    parser.add_argument(
        "--chromium", default=os.environ.get("TAPER_CHROMIUM") or shutil.which("chromium")
    )
    parser.add_argument("--shot", type=Path, help="write the README screenshot here")
    args = parser.parse_args()
    if not args.chromium:
        sys.exit("no Chromium: install it (apt-get install chromium) or pass --chromium")
    from playwright.sync_api import expect, sync_playwright

    server = subprocess.Popen(
        [sys.executable, "-m", "taper", "serve", "--no-browser"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(url)
            page.get_by_label("Template").select_option("ms-iv-pulse-then-prednisone-taper")
            page.get_by_role("button", name="Use this template").click()
            expect(page.locator("#check-summary")).to_contain_text("Valid:")
            page.get_by_label("Patient name").fill("Jane Doe")
            expect(page.locator("#preview")).to_contain_text("Jane Doe")
            totals, answers = [], []
            for number in range(args.changes):
                dose = "30 mg" if number % 2 == 0 else "20 mg"
                total, answer = page.evaluate(
                    MEASURE, ["f-phase-2-steps-3-dose", dose, f"Prednisone {dose}:"]
                )
                totals.append(total)
                answers.append(answer)
            if args.shot:
                page.evaluate("window.scrollTo(0, 0)")
                page.get_by_label("Patient name").focus()
                page.screenshot(path=str(args.shot))
            browser.close()
    finally:
        server.terminate()
        server.wait()
    print(f"form change → updated plan, {args.changes} changes (ms):")
    print(
        f"  with the 350 ms debounce: median {statistics.median(totals):.0f}, "
        f"min {min(totals):.0f}, max {max(totals):.0f}"
    )
    print(
        f"  request to settled plan:  median {statistics.median(answers):.0f}, "
        f"min {min(answers):.0f}, max {max(answers):.0f}"
    )


if __name__ == "__main__":
    main()
