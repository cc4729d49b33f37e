"""The preset rule documents shipped inside the package (``metaseg/presets/``)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from metaseg._messages import available, did_you_mean
from metaseg._paths import PRESETS_DIR
from metaseg.exceptions import RuleError

#: Names accepted by :func:`preset_path` and by ``RuleSegmenter(rules=...)``.
PRESET_NAMES: Final = ("rfm", "lifecycle", "value_tiers", "demographic", "potential_value")


def preset_path(name: str) -> Path:
    """Return the path of a preset rules file.

    Parameters
    ----------
    name : {"rfm", "lifecycle", "value_tiers", "demographic"}

    Raises
    ------
    RuleError
        If the name is not a preset or its file is missing.

    Examples
    --------
    >>> preset_path("rfm").name
    'rfm.yaml'
    """
    if name not in PRESET_NAMES:
        raise RuleError(
            f"preset {name!r} does not exist.{did_you_mean(name, PRESET_NAMES)} "
            f"Presets: {available(PRESET_NAMES)}."
        )
    path = PRESETS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise RuleError(f"preset file {str(path)!r} is missing; reinstall metaseg.")
    return path
