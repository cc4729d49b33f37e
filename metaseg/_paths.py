"""Locations of the files shipped inside the package."""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: The package's ``presets/`` folder: rule presets and the demo's job config, shipped in the
#: wheel (``pyproject.toml`` lists them as package data).
PRESETS_DIR: Final = Path(__file__).resolve().parent / "presets"
