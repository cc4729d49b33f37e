"""Datasets: the synthetic shop (the embedded default) and loaders for public retail data."""

from __future__ import annotations

from typing import Any

__all__ = ["load_online_retail", "make_shop"]


def __getattr__(name: str) -> Any:
    if name == "make_shop":
        from metaseg.datasets.synthetic import make_shop

        return make_shop
    if name == "load_online_retail":
        from metaseg.datasets.online_retail import load_online_retail

        return load_online_retail
    raise AttributeError(f"module 'metaseg.datasets' has no attribute {name!r}")
