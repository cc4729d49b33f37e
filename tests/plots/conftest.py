"""Fixtures of the plot tests: a headless backend, fitted models and a PNG check."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
#: A user name with characters that HTML and matplotlib's math text would interpret.
ODD_NAME = "VIP <big> & $ spenders $"


@pytest.fixture(autouse=True)
def _close_figures():
    """The plots open their figures in pyplot; close them after every test."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(scope="session")
def shop_facts():
    from metaseg.datasets import make_shop
    from metaseg.facts import compute_facts

    customers, events, _ = make_shop(n_customers=3_000, seed=0)
    return compute_facts(events, customers)


@pytest.fixture(scope="session")
def model(shop_facts):
    """The shop config: k-means in every base segment, one user name, an empty catch-all."""
    from metaseg._yaml import load_yaml
    from metaseg.model import MetaSegmenter

    spec = load_yaml(CONFIGS / "shop.yaml")["segmentation"]
    spec = spec | {"n_bootstrap": 1, "names": {"active/0": ODD_NAME}}
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


@pytest.fixture
def assert_rendered():
    """Render a figure to PNG, decode it and check it is a real, non-flat image."""

    def check(fig) -> np.ndarray:
        from matplotlib.image import imread

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
        buffer.seek(0)
        pixels = imread(buffer, format="png")
        assert pixels.ndim == 3 and pixels.shape[0] > 100 and pixels.shape[1] > 100
        assert distinct_colours(pixels) > 20, "the image is (almost) a single colour"
        return pixels

    return check


def distinct_colours(pixels: np.ndarray) -> int:
    """Number of distinct RGB colours of a decoded image (one packed int per pixel)."""
    rgb = np.round(pixels[..., :3] * 255).astype(np.uint32)
    packed = (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]
    return int(np.unique(packed).size)
