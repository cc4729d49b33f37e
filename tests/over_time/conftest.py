"""Fixtures of the over-time tests: one synthetic shop and models fitted on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from metaseg._yaml import load_yaml
from metaseg.datasets import make_shop
from metaseg.facts import compute_facts
from metaseg.model import MetaSegmenter

matplotlib.use("Agg")
CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(scope="session", autouse=True)
def _single_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="session")
def shop():
    return make_shop(n_customers=3_000, seed=3)


@pytest.fixture(scope="session")
def facts(shop) -> pd.DataFrame:
    return compute_facts(shop.events, shop.customers)


@pytest.fixture(scope="session")
def truth(shop) -> pd.DataFrame:
    return shop.truth


@pytest.fixture(scope="session")
def spec() -> dict:
    """The shop config without bootstrap (fast)."""
    return load_yaml(CONFIGS / "shop.yaml")["segmentation"] | {"n_bootstrap": 0}


@pytest.fixture(scope="session")
def model(facts, spec) -> MetaSegmenter:
    return MetaSegmenter.from_config(spec).fit(facts)
