#!/usr/bin/env bash
# The README's first command: install taper into .venv, then build the packet of a shipped example
# (an IV pulse, then an oral prednisone taper). Each step says what it does; the first that fails
# stops the script, and its name is the last line printed.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "1/3 make a virtual environment in .venv"
python3 -m venv .venv
step "2/3 install taper into it"
.venv/bin/pip install --quiet .
step "3/3 write example.toml from a template (course day 1: tomorrow) and build example-packet/"
.venv/bin/taper new ms-iv-pulse-then-prednisone-taper -o example.toml --timezone America/New_York --force
.venv/bin/taper build example.toml -o example-packet --force
step "done: example-packet/ holds plan.json, reminders.ics, patient.pdf, pharmacist.pdf, nurse.pdf and plan.fhir.json"
