"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; tests that need it skip only when the folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real datasets not found at {SHARED_DATA} (the ../shared/data folder is absent)"
        )
    return SHARED_DATA


#: User names with characters that matplotlib's math text (``$``) and HTML (``<``, ``&``,
#: quotes) would interpret: the plots and displays must show them exactly as typed.
USER_NAMES = {
    "active/0": "VIP <big> & $ spenders $",
    "dormant/1": '<b>Big & bold</b> "spenders"',
}


@pytest.fixture(scope="session")
def user_names() -> dict[str, str]:
    """The user names given to ``shop_model`` (segment code -> name)."""
    return dict(USER_NAMES)


@pytest.fixture(scope="session")
def shop_facts():
    """Facts of a 3,000-customer synthetic shop, shared by the plot and display tests."""
    from metaseg.datasets import make_shop
    from metaseg.facts import compute_facts

    customers, events, _ = make_shop(n_customers=3_000, seed=0)
    return compute_facts(events, customers)


@pytest.fixture(scope="session")
def shop_model(shop_facts):
    """The shop config: k-means in every base segment, two odd user names, an empty catch-all."""
    from metaseg._yaml import load_yaml
    from metaseg.model import MetaSegmenter

    spec = load_yaml(CONFIGS / "shop.yaml")["segmentation"]
    spec = spec | {"n_bootstrap": 1, "names": dict(USER_NAMES)}
    return MetaSegmenter.from_config(spec).fit(shop_facts)


@pytest.fixture(scope="session")
def density_model(shop_facts):
    """HDBSCAN with noise kept in 'active', every other base segment left whole, no bootstrap."""
    from metaseg.model import MetaSegmenter

    return MetaSegmenter(
        default={"algorithm": "none"},
        segments={
            "active": {
                "algorithm": "hdbscan",
                "features": {"features": "basket"},
                "params": {"min_cluster_size": 0.05, "noise_policy": "keep"},
            }
        },
        n_bootstrap=0,
    ).fit(shop_facts)
