"""Datasets: the synthetic shop (the embedded default, in memory or written to Parquet in
chunks) and loaders for public retail data."""

from __future__ import annotations

from typing import Any

__all__ = ["iter_shop_chunks", "load_online_retail", "make_shop", "write_shop"]


def __getattr__(name: str) -> Any:
    if name == "make_shop":
        from metaseg.datasets.synthetic import make_shop

        return make_shop
    if name in ("write_shop", "iter_shop_chunks"):
        from metaseg.datasets import shop_files

        return getattr(shop_files, name)
    if name == "load_online_retail":
        from metaseg.datasets.online_retail import load_online_retail

        return load_online_retail
    raise AttributeError(f"module 'metaseg.datasets' has no attribute {name!r}")
