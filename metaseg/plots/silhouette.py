"""The classic silhouette plot of one base segment's sub-segments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg import schema
from metaseg.exceptions import DataError
from metaseg.plots._model import check_model, check_split, segment_names, sub_segment_order
from metaseg.plots._sample import (
    SegmentSample,
    base_segment_of,
    check_facts,
    check_random_state,
    check_sample_size,
    draw_sample,
)
from metaseg.plots._style import new_axes, plain_text, qualitative_colours, text_width

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Vertical gap between two sub-segments' bands, in rows.
_GAP = 10


def plot_silhouette(
    model: Any,
    facts: pd.DataFrame,
    base_segment: str,
    sample_size: int = 3_000,
    random_state: int | None = 0,
    *,
    as_of: Any = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw each sampled customer's silhouette, sorted inside its sub-segment.

    Silhouettes are computed in the segment's feature space (the fitted featurizer's
    output, where the clusterer worked) on a seeded sample of the base segment's
    customers in ``facts``. A long band reaching right is a well separated
    sub-segment; values below 0 are customers closer to another sub-segment. The
    dashed line is the sample's mean silhouette (its legend stands outside the axes,
    so it never hides a band). Noise customers (-1) have no
    silhouette and are left out (their count is in the title).

    Parameters
    ----------
    model : MetaSegmenter
        A fitted model.
    facts : DataFrame
        One row per customer (the fit facts or newer ones).
    base_segment : str
        A base segment the model split.
    sample_size : int, default=3_000
        Most customers drawn (the silhouette is quadratic in them).
    random_state : int or None, default=0
        Seeds the sample.
    as_of : date-like, optional
        Reference time of the rules; defaults to ``facts.attrs["as_of"]``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If ``base_segment`` is unknown or was not split, or a parameter is invalid.
    DataError
        If the sample holds fewer than two sub-segments.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_000, seed=0)
    >>> facts = compute_facts(events, customers)
    >>> model = MetaSegmenter(n_bootstrap=0).fit(facts)
    >>> fig = plot_silhouette(model, facts, "active", sample_size=300)
    >>> fig.axes[0].get_xlabel()
    'silhouette coefficient'
    """
    owner = "plot_silhouette"
    check_model(owner, model)
    check_split(owner, model, base_segment)
    sample_size = check_sample_size(owner, sample_size, 3)
    random_state = check_random_state(owner, random_state)
    check_facts(owner, facts)
    sample = draw_sample(
        owner,
        model,
        facts,
        base_segment,
        sample_size=sample_size,
        random_state=random_state,
        base=base_segment_of(model, facts, as_of),
    )
    return draw_silhouette(model, sample, ax=ax)


def draw_silhouette(model: Any, sample: SegmentSample, *, ax: Axes | None = None) -> Figure:
    """Draw the silhouette bands of an already drawn sample."""
    from sklearn.metrics import silhouette_samples

    assigned = sample.sub_segments != schema.NOISE
    labels = sample.sub_segments[assigned]
    matrix = sample.matrix[assigned]
    order = sub_segment_order(labels)
    if len(order) < 2 or len(labels) <= len(order):
        raise DataError(
            f"plot_silhouette: the sample of base segment {sample.base_segment!r} holds "
            f"{len(labels)} assigned customer(s) in {len(order)} sub-segment(s); a "
            "silhouette needs at least two sub-segments and more customers than "
            "sub-segments. Pass more facts or a larger sample_size."
        )
    values = silhouette_samples(matrix, labels)
    mean = float(values.mean())
    names = segment_names(model)
    tick_labels = [
        names.get(code, code) + f" ({int((labels == sub).sum()):,})"
        for sub, code in ((s, schema.segment_code(sample.base_segment, s)) for s in order)
    ]
    fig, ax = new_axes(
        "plot_silhouette",
        ax,
        (7.0 + text_width(tick_labels), max(4.0, 0.5 * len(order) + 3.0)),
    )
    colours = qualitative_colours(len(order))
    bottom = 0
    middles = []
    for position, sub in enumerate(order):
        band = np.sort(values[labels == sub])
        rows = np.arange(bottom, bottom + band.size)
        ax.fill_betweenx(rows, 0.0, band, color=colours[position], alpha=0.85, linewidth=0)
        middles.append(bottom + band.size / 2)
        bottom += band.size + _GAP
    ax.axvline(mean, color="black", linestyle="--", linewidth=1, label=f"mean = {mean:.2f}")
    ax.set_yticks(middles, tick_labels)
    ax.set_ylim(bottom, -_GAP)
    ax.set_xlim(min(-0.1, float(values.min()) - 0.05), 1.0)
    ax.set_xlabel("silhouette coefficient")
    n_noise = int((~assigned).sum())
    noise = f", {n_noise:,} noise left out" if n_noise else ""
    drawn = sample.matrix.shape[0]
    of = (
        f"{drawn:,} of {sample.n_in_segment:,}" if drawn < sample.n_in_segment else f"all {drawn:,}"
    )
    ax.set_title(f"{sample.base_segment}: silhouette of {of} customers{noise}")
    # outside the axes, right of the bands: a legend inside would hide customers
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
    plain_text(ax)
    return fig
