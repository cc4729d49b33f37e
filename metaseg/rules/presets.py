"""The preset rule documents shipped inside the package (``metaseg/presets/``), and a
preset with some of its named parameters changed.

A rules document may name a preset instead of copying it::

    rules:
      preset: lifecycle
      params: {hesitant_cart_min_days: 0}

Every other threshold keeps the preset's value. Only parameters the preset defines
under ``params`` can be changed; an unknown name is refused with the list of known
ones. To change segments or scores, copy the preset file (:func:`preset_path`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from metaseg._messages import available, did_you_mean
from metaseg._paths import PRESETS_DIR
from metaseg.exceptions import RuleError

#: Names accepted by :func:`preset_path` and by ``RuleSegmenter(rules=...)``.
PRESET_NAMES: Final = (
    "rfm",
    "rfm_textbook",
    "lifecycle",
    "value_tiers",
    "demographic",
    "potential_value",
)

#: Keys of a document that names a preset: the preset and the parameters it changes.
PRESET_KEYS: Final = ("preset", "params")


def preset_path(name: str) -> Path:
    """Return the path of a preset rules file.

    Parameters
    ----------
    name : {"rfm", "rfm_textbook", "lifecycle", "value_tiers", "demographic"}

    Raises
    ------
    RuleError
        If the name is not a preset or its file is missing.

    Examples
    --------
    >>> preset_path("rfm").name
    'rfm.yaml'
    """
    if not isinstance(name, str) or name not in PRESET_NAMES:
        shown = repr(name) if isinstance(name, str) else type(name).__name__
        hint = did_you_mean(name, PRESET_NAMES) if isinstance(name, str) else ""
        raise RuleError(f"preset {shown} does not exist.{hint} Presets: {available(PRESET_NAMES)}.")
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise RuleError(f"preset file {str(path)!r} is missing; reinstall metaseg.")
    return path


def expand_preset(document: dict[str, Any], load: Callable[[Path], Any]) -> dict[str, Any]:
    """Return the preset a ``{preset: name, params: {...}}`` document names, with its
    parameters changed.

    Parameters
    ----------
    document : dict
        A rules document with a ``preset`` key.
    load : callable
        Reads a preset file into its document (the rules parser's own loader).

    Returns
    -------
    dict
        The preset's document with the given ``params`` values in place of its own.

    Raises
    ------
    RuleError
        If the document has keys other than ``preset`` and ``params``, names no preset,
        or changes a parameter the preset does not define (listing those it does).

    Examples
    --------
    >>> from metaseg._yaml import load_yaml
    >>> doc = expand_preset({"preset": "lifecycle", "params": {"hesitant_cart_min_days": 0}},
    ...                     load_yaml)
    >>> doc["params"]["hesitant_cart_min_days"], doc["params"]["active_max_recency_days"]
    (0, 90)
    """
    extra = [key for key in document if key not in PRESET_KEYS]
    if extra:
        raise RuleError(
            f"rules {extra[0]}: a document that names a preset may only hold 'preset' and "
            f"'params', got {sorted(map(str, extra))}. To change segments or scores, copy "
            f"the preset file (metaseg.rules.preset_path({document['preset']!r})) and edit it."
        )
    name = document["preset"]
    base = load(preset_path(name))
    overrides = document.get("params") or {}
    if not isinstance(overrides, dict):
        raise RuleError(
            f"rules params: expected a mapping of parameter names to values, got "
            f"{type(overrides).__name__}; write e.g. params: {{hesitant_cart_min_days: 0}}."
        )
    known = dict(base.get("params") or {})
    for key in overrides:
        if key not in known:
            listed = f"Known parameters: {available(known)}." if known else "It has none."
            raise RuleError(
                f"rules params.{key}: preset {name!r} has no parameter {key!r}."
                f"{did_you_mean(str(key), known)} {listed} To change anything else, copy "
                f"the preset file (metaseg.rules.preset_path({name!r})) and edit it."
            )
    if overrides:
        base = {**base, "params": {**known, **overrides}}
    return base
