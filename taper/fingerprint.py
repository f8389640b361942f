"""The plan's fingerprint: a short code that every page of every handout and ``plan.json``
carry, so that loose pages can be matched to one plan revision.

Defined once, here: the first ``LENGTH`` characters of the base32 (RFC 4648, ``A``–``Z`` and
``2``–``7``) SHA-256 of the canonical plan JSON (``plan_to_dict``, keys sorted, no spaces,
UTF-8), without its ``warnings`` and without the fingerprint itself. The warnings are left out
because one of them depends on the day of the build, not on the plan (``start-in-past``); every
fact they are about is in the rest of the plan. Nothing else in the plan depends on when or where
it was built (no build time is in it), so two builds of the same regimen, a day apart or on
another machine, carry the same fingerprint, and any change to a dose, a date, a time, the
patient or the ``revision`` gives another one. 50 bits: two different plans sharing one is a
one-in-a-quadrillion chance, and ten characters can be read aloud over the phone.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from taper.plan import Plan

LENGTH = 10
#: Keys of the plan JSON that are not part of what the fingerprint vouches for.
LEFT_OUT = ("warnings", "fingerprint")

# One plan is fingerprinted by every file of its packet: remember the last one (by identity, so
# a plan that is equal but not the same object is worked out again, which is always right).
_last: tuple[Plan, str] | None = None


def fingerprint_of(document: dict[str, Any]) -> str:
    """The fingerprint of a plan's JSON document (``plan_to_dict``)."""
    content = {key: value for key, value in document.items() if key not in LEFT_OUT}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:LENGTH]


def fingerprint(plan: Plan, document: dict[str, Any] | None = None) -> str:
    """The plan's fingerprint, such as ``K7Q2M4XZPA``; ``document``: the plan's JSON document,
    when the caller has it already (``render_json``)."""
    global _last
    if _last is not None and _last[0] is plan:
        return _last[1]
    if document is None:
        from taper.export.json import plan_to_dict

        document = plan_to_dict(plan)
    code = fingerprint_of(document)
    _last = (plan, code)
    return code
