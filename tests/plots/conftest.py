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


def _kmeans(k: int) -> dict:
    return {"algorithm": "kmeans", "params": {"k_min": k, "k_max": k}}


#: RFM rules on a 4,000-customer shop, k fixed per base segment: 40 sub-segments in 11
#: base segments, one of them left whole.
WIDE_SEGMENTS = {
    "hibernating": _kmeans(5),
    "other": _kmeans(2),
    "need_attention": {"algorithm": "none"},
}


@pytest.fixture(scope="session")
def wide_facts():
    """Facts of a 4,000-customer shop (seed 1)."""
    from metaseg.datasets import make_shop
    from metaseg.facts import compute_facts

    customers, events, _ = make_shop(n_customers=4_000, seed=1)
    return compute_facts(events, customers)


def fit_wide(facts, random_state: int):
    from metaseg.model import MetaSegmenter

    return MetaSegmenter(
        rules="rfm",
        default=_kmeans(4),
        segments=WIDE_SEGMENTS,
        min_segment_size=60,
        n_bootstrap=1,
        random_state=random_state,
    ).fit(facts)


@pytest.fixture(scope="session")
def wide_model(wide_facts):
    """A model with 40 sub-segments (see WIDE_SEGMENTS)."""
    model = fit_wide(wide_facts, 0)
    assert len(model.summary_) == 40
    return model


@pytest.fixture(scope="session")
def wide_refit(wide_facts):
    """A second, independent fit of the same customers (another seed)."""
    return fit_wide(wide_facts, 7)


#: Largest figure any plot may open at its default size, in pixels at 100 dpi.
MAX_PIXELS = (1_400, 1_200)


def figure_pixels(fig) -> tuple[float, float]:
    """Width and height of ``fig`` in pixels at 100 dpi."""
    width, height = fig.get_size_inches()
    return float(width) * 100, float(height) * 100


def assert_sane_size(fig, minimum=(400, 300)) -> None:
    width, height = figure_pixels(fig)
    assert minimum[0] <= width <= MAX_PIXELS[0], f"figure is {width:.0f} px wide"
    assert minimum[1] <= height <= MAX_PIXELS[1], f"figure is {height:.0f} px tall"


def _tick_labels(axis) -> list:
    """The tick labels matplotlib draws: those of ticks inside the view limits."""
    drawn = axis._update_ticks()  # the ticks Axis.draw draws (private, no public twin)
    return [label for tick in drawn for label in (tick.label1, tick.label2) if label.get_visible()]


def _axes_texts(ax) -> list:
    texts = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    texts += _tick_labels(ax.xaxis) + _tick_labels(ax.yaxis) + list(ax.texts)
    legend = ax.get_legend()
    if legend is not None:
        texts += list(legend.get_texts()) + [legend.get_title()]
    return texts


def visible_texts(fig) -> list:
    """Every drawn, non-empty text of ``fig`` (titles, axis and tick labels, notes, legends)."""
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += _axes_texts(ax)
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return renderer, [(t, t.get_window_extent(renderer)) for t in visible_texts(fig)]


def assert_texts_readable(fig, min_fontsize: float = 5.5) -> None:
    """No two texts overlap, none leaves the figure, none is smaller than ``min_fontsize``."""
    _, boxes = _boxes(fig)
    assert boxes, "the figure has no text"
    frame = fig.bbox
    for text, box in boxes:
        assert text.get_fontsize() >= min_fontsize, (text.get_text(), text.get_fontsize())
        assert (
            box.x0 >= frame.x0 - 1
            and box.y0 >= frame.y0 - 1
            and box.x1 <= frame.x1 + 1
            and box.y1 <= frame.y1 + 1
        ), f"{text.get_text()!r} is clipped: {box} outside {frame}"
    for a in range(len(boxes)):
        for b in range(a + 1, len(boxes)):
            (ta, ba), (tb, bb) = boxes[a], boxes[b]
            width = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            height = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            assert width <= 1 or height <= 1, (
                f"{ta.get_text()!r} and {tb.get_text()!r} overlap by {width:.0f}x{height:.0f} px"
            )


def assert_legend_clear_of_data(fig) -> None:
    """Each legend's box touches none of its axes' bars, lines, areas or images."""
    renderer, _ = _boxes(fig)
    from matplotlib.transforms import Bbox

    found = False
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        found = True
        box = legend.get_window_extent(renderer)
        frame = ax.get_window_extent(renderer)
        artists = list(ax.patches) + list(ax.lines) + list(ax.collections) + list(ax.images)
        for artist in artists:
            if not artist.get_visible():
                continue
            drawn = Bbox.intersection(artist.get_window_extent(renderer), frame)
            if drawn is None or drawn.width <= 0 or drawn.height <= 0:
                continue
            overlap = Bbox.intersection(box, drawn)
            assert overlap is None or overlap.width <= 1 or overlap.height <= 1, (
                f"the legend covers {artist} ({overlap})"
            )
    assert found, "the figure has no legend"


@pytest.fixture
def layout():
    """The layout checks: ``layout.size(fig)``, ``layout.texts(fig)``, ``layout.legend(fig)``."""
    from types import SimpleNamespace

    return SimpleNamespace(
        size=assert_sane_size,
        texts=assert_texts_readable,
        legend=assert_legend_clear_of_data,
        visible=visible_texts,
    )
