"""``taper serve``: the nurse's page and the local HTTP API (Flask, imported by that command only).

A client of the same functions as the command line (``taper.api``); nothing below imports it.
"""

from __future__ import annotations

from taper.web.app import create_app

__all__ = ["create_app"]
