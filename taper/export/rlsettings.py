"""reportlab's settings, pinned: nothing on the machine changes the bytes of a handout.

reportlab reads its settings (``reportlab.rl_config``) from its shipped defaults, then from a
``reportlab_settings.py`` anywhere on the import path or ``~/.reportlab_settings``, then from
``RL_<name>`` environment variables (an ``RL_pageCompression=0`` or ``RL_invariant=0`` would
change every PDF; a malformed one stops the import). ``pin`` imports reportlab without any of
them and sets every setting to reportlab's shipped default, so a handout depends on the plan,
the stamp and the options alone. Call it before anything imports reportlab (the PDF renderer's
callers do); calling it again later is cheap and puts back any value changed since.

Settings taper itself chooses (invariant mode, page compression without ASCII85) are passed to
reportlab in ``taper.export.pdf`` over these defaults.
"""

from __future__ import annotations

import copy
import os
import sys
import types
from typing import Any

# Search paths for fonts taper does not use (its font is embedded from a file path): they are
# reportlab's, worked out from the folders that exist, and left as they are.
_LEFT_AS_THEY_ARE = ("T1SearchPath", "TTFSearchPath", "CMapSearchPath")
_SETTINGS_MODULES = ("reportlab_settings", "reportlab.local_rl_settings")


def _import_clean() -> Any:
    """Import ``reportlab.rl_config`` with no settings file and no ``RL_`` variable in sight."""
    if "reportlab.rl_config" in sys.modules:
        return sys.modules["reportlab.rl_config"]
    hidden = {name: os.environ.pop(name) for name in list(os.environ) if name.startswith("RL_")}
    stubs = [name for name in _SETTINGS_MODULES if name not in sys.modules]
    for name in stubs:  # found first, so neither file is read nor ~/.reportlab_settings tried
        sys.modules[name] = types.ModuleType(name)
    try:
        from reportlab import rl_config
    finally:
        for name in stubs:
            sys.modules.pop(name, None)
        os.environ.update(hidden)
    return rl_config


def shipped_defaults() -> dict[str, Any]:
    """Every setting taper pins, with reportlab's shipped value in the form rl_config holds."""
    from reportlab import rl_settings
    from reportlab.lib import pagesizes

    values: dict[str, Any] = {}
    for name in rl_settings.__all__:
        if name in _LEFT_AS_THEY_ARE:
            continue
        value = copy.deepcopy(getattr(rl_settings, name))
        if name == "defaultPageSize":
            value = getattr(pagesizes, value)
        elif name.endswith("Glob"):
            value = value.split() if value else []
        elif name in ("trustedHosts", "trustedSchemes") and value is not None:
            value = list(value)
        values[name] = value
    return values


_DEFAULTS: dict[str, Any] | None = None


def pin() -> None:
    """Import reportlab's settings cleanly (once) and set each to its shipped default."""
    global _DEFAULTS
    rl_config = _import_clean()
    if _DEFAULTS is None:
        _DEFAULTS = shipped_defaults()
    for name, value in _DEFAULTS.items():
        if getattr(rl_config, name, None) != value:
            setattr(rl_config, name, copy.deepcopy(value))
