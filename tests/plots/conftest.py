"""Fixtures of the plot tests: a headless backend, fitted models and a PNG check."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """The plots open their figures in pyplot; close them after every test."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(scope="session")
def model(shop_model):
    """The shared shop model (tests/conftest.py), under the name the plot tests use."""
    return shop_model


@pytest.fixture(scope="session")
def odd_name(user_names):
    """The user name of active/0, full of math-text and HTML characters."""
    return user_names["active/0"]


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
