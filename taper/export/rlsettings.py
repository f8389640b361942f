"""reportlab's settings, pinned: nothing on the machine changes the bytes of a handout.

reportlab reads its settings (``reportlab.rl_config``) from its shipped defaults, then from a
``reportlab_settings.py`` anywhere on the import path or ``~/.reportlab_settings``, then from
``RL_<name>`` environment variables (an ``RL_pageCompression=0`` or ``RL_invariant=0`` would
change every PDF; a malformed one stops the import). ``pin`` imports reportlab without any of
them and sets every setting to reportlab's shipped default, so a handout depends on the plan,
the stamp and the options alone. Importing this module pins (``taper.export.pdf`` imports it
before reportlab); calling ``pin`` again later is cheap and puts back any value changed since.

``pin`` also imports reportlab without compiling, at import, the patterns that serve only what
taper never does (``_FIRST_USE``): each is compiled on first use instead, so a build does not
pay for them (~20 ms for ``uri_pat`` alone with a cold cache, ~3.5 ms for the others). Nor
does it load Pillow, which reportlab imports for pictures and a handout never draws: it loads
when something first uses it.

Settings taper itself chooses (invariant mode, page compression without ASCII85) are passed to
reportlab in ``taper.export.pdf`` over these defaults.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
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


# reportlab.platypus.paragraph.uri_pat, as reportlab 4 and 5 compile it (re.I). Should reportlab
# change it, this no longer matches the pattern it compiles and that compile simply happens.
URI_PATTERN = (
    "(^(?:[a-z0-9\\.\\-\\+]*)://)(?:\\S+(?::\\S*)?@)?(?:(?:25[0-5]|2[0-4]\\d|[0-1]?\\d?\\d)"
    "(?:\\.(?:25[0-5]|2[0-4]\\d|[0-1]?\\d?\\d)){3}|\\[[0-9a-f:\\.]+\\]|([a-z\xa1-\uffff0-9]"
    "(?:[a-z\xa1-\uffff0-9-]{0,61}[a-z\xa1-\uffff0-9])?(?:\\.(?!-)[a-z\xa1-\uffff0-9-]{1,63}(?<!-))*"
    "\\.(?!-)(?:[a-z\xa1-\uffff-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\\.?|localhost))(?::\\d{2,5})?"
    "(?:[/?#][^\\s]*)?\\Z"
)

# The patterns reportlab compiles at import that taper never uses, by the module that compiles
# them: that module's top-level patterns equal to the one given, or all of them (None).
#   paragraph: uri_pat, for splitting long links, used only when uriWasteReduce is set (it
#     stays 0); the module's other patterns break every paragraph's lines and stay compiled;
#   textsplit: rx, used only by cjkwrap (wrapping CJK text as bytes);
#   PyFontify: matchRE and idRE, for colouring Python source (PythonPreformatted);
#   rl_safe_eval: __rl_unsafe_re__, which nothing in reportlab reads.
_FIRST_USE: dict[str, str | None] = {
    "reportlab.platypus.paragraph": URI_PATTERN,
    "reportlab.lib.textsplit": None,
    "reportlab.lib.PyFontify": None,
    "reportlab.lib.rl_safe_eval": None,
}


class _OnFirstUse:
    """Stands in for a compiled pattern; compiles it the first time it is used."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._compiled is None:
            self._compiled = re.compile(*self._source)
        return getattr(self._compiled, name)


@contextmanager
def _patterns_on_first_use() -> Iterator[None]:
    """While reportlab is imported: the patterns of ``_FIRST_USE`` are left for first use."""
    compile_now = re.compile

    def compile_or_wait(pattern: Any, flags: Any = 0) -> Any:
        caller = sys._getframe(1)
        if caller.f_code.co_name == "<module>" and isinstance(pattern, str):
            module = caller.f_globals.get("__name__")
            if module in _FIRST_USE and _FIRST_USE[module] in (None, pattern):
                return _OnFirstUse(pattern, int(flags))
        return compile_now(pattern, flags)

    re.compile = compile_or_wait
    try:
        yield
    finally:
        re.compile = compile_now


def _pillow_on_first_use() -> None:
    """reportlab imports Pillow's ``PIL.Image`` for drawing pictures, which no handout has
    (about 14 ms of every build): it is left to load the first time anything uses it."""
    if "PIL.Image" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("PIL.Image")
    except ImportError:
        return
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["PIL.Image"] = module
    loader.exec_module(module)
    # Also the package's attribute, as an import leaves it: ``from PIL import Image`` then
    # takes it from there rather than importing it again, which would read its __spec__ and
    # so load it at once.
    package: Any = sys.modules["PIL"]
    package.Image = module


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
    with _patterns_on_first_use():
        _pillow_on_first_use()
        rl_config = _import_clean()
        if _DEFAULTS is None:
            _DEFAULTS = shipped_defaults()
        for name, value in _DEFAULTS.items():
            if getattr(rl_config, name, None) != value:
                setattr(rl_config, name, copy.deepcopy(value))
        import reportlab.platypus.paragraph  # noqa: F401  (and with it the rest of platypus)


# Importing this module pins the settings: ``taper.export.pdf`` imports it before reportlab.
pin()
PINNED = True
