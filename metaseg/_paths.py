"""Locations of the files shipped beside the package (the repository's ``configs/``)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: The repository's ``configs/`` folder (job configs, rule presets, column mappings).
CONFIGS_DIR: Final = Path(__file__).resolve().parents[1] / "configs"
