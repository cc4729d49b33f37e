"""A 2-D map of one base segment's customers, coloured by sub-segment."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg import schema
from metaseg._params import check_choice
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
from metaseg.plots._style import (
    NOISE_COLOUR,
    new_axes,
    plain_text,
    qualitative_colours,
    text_width,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

METHODS = ("pca", "umap")
#: Fewest customers a map is drawn from.
MIN_ROWS = 3


def plot_segment_map(
    model: Any,
    facts: pd.DataFrame,
    base_segment: str,
    method: str = "pca",
    sample_size: int = 5_000,
    random_state: int | None = 0,
    *,
    as_of: Any = None,
    ax: Axes | None = None,
) -> Figure:
    """Draw a seeded sample of one base segment's customers in 2-D, coloured by sub-segment.

    The model does not keep its training matrix, so the customers come from ``facts``:
    the fitted rules pick the base segment's customers, up to ``sample_size`` of them are
    drawn, the segment's fitted featurizer turns them into the matrix the clusterer saw,
    the fitted clusterer labels them, and PCA or UMAP projects the matrix to two
    dimensions.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted model.
    facts : DataFrame
        One row per customer (the fit facts or newer ones).
    base_segment : str
        A base segment the model split.
    method : {"pca", "umap"}, default="pca"
        The projection; UMAP is slower (seconds) but keeps local neighbourhoods.
    sample_size : int, default=5_000
        Most customers drawn.
    random_state : int or None, default=0
        Seeds the sample and the projection.
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
        If ``facts`` has fewer than three customers of the base segment.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_000, seed=0)
    >>> facts = compute_facts(events, customers)
    >>> model = MetaSegmenter(n_bootstrap=0).fit(facts)
    >>> fig = plot_segment_map(model, facts, "active", sample_size=500)
    >>> fig.axes[0].get_xlabel().startswith("PC1")
    True
    """
    owner = "plot_segment_map"
    check_model(owner, model)
    check_split(owner, model, base_segment)
    check_choice(owner, "method", method, METHODS)
    sample_size = check_sample_size(owner, sample_size, MIN_ROWS)
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
    return draw_map(model, sample, method=method, random_state=random_state, ax=ax)


def draw_map(
    model: Any,
    sample: SegmentSample,
    *,
    method: str,
    random_state: int | None,
    ax: Axes | None = None,
) -> Figure:
    """Project ``sample`` to 2-D and scatter it, one colour per sub-segment."""
    n = sample.matrix.shape[0]
    if n < MIN_ROWS:
        raise DataError(
            f"plot_segment_map: only {n} customer(s) of base segment {sample.base_segment!r} "
            f"in the facts; a map needs at least {MIN_ROWS}. Pass more facts."
        )
    points, x_label, y_label = _project(model, sample, method, random_state)
    names = segment_names(model)
    order = sub_segment_order(sample.sub_segments)
    labels = [
        names.get(code, code) + f" ({int((sample.sub_segments == sub).sum()):,})"
        for sub, code in ((s, schema.segment_code(sample.base_segment, s)) for s in order)
    ]
    fig, ax = new_axes("plot_segment_map", ax, (7.0 + 0.9 * text_width(labels), 6.5))
    colours = qualitative_colours(len(order))
    size = float(np.clip(6000.0 / n, 4.0, 30.0))
    for position, (sub, label) in enumerate(zip(order, labels, strict=True)):
        mask = sample.sub_segments == sub
        noise = sub == schema.NOISE
        ax.scatter(
            points[mask, 0],
            points[mask, 1],
            s=size,
            alpha=0.7,
            linewidths=0,
            color=NOISE_COLOUR if noise else colours[position],
            label=label,
            zorder=1 if noise else 2,
        )
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    drawn = f"{n:,} of {sample.n_in_segment:,}" if n < sample.n_in_segment else f"all {n:,}"
    ax.set_title(f"{sample.base_segment}: {drawn} customers, {method.upper()} map")
    legend = ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
        frameon=False,
        markerscale=max(1.0, 30.0 / size),
        title="sub-segments",
    )
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    plain_text(ax)
    return fig


def _project(
    model: Any, sample: SegmentSample, method: str, random_state: int | None
) -> tuple[np.ndarray, str, str]:
    matrix = sample.matrix
    if matrix.shape[1] == 1:
        name = str(model.segments_[sample.base_segment].featurizer.feature_names_out_[0])
        jitter = np.random.default_rng(random_state).uniform(-0.4, 0.4, size=matrix.shape[0])
        return np.column_stack([matrix[:, 0], jitter]), name, "random jitter"
    if method == "umap":
        return _umap(matrix, random_state), "UMAP 1", "UMAP 2"
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=random_state)
    points = pca.fit_transform(matrix)
    ratio = pca.explained_variance_ratio_
    return points, f"PC1 ({ratio[0]:.0%} of variance)", f"PC2 ({ratio[1]:.0%} of variance)"


def _umap(matrix: np.ndarray, random_state: int | None) -> np.ndarray:
    with warnings.catch_warnings():
        # umap announces on import that its optional TensorFlow variant is missing.
        warnings.filterwarnings("ignore", message="Tensorflow not installed")
        import umap

    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=min(15, matrix.shape[0] - 1),
        random_state=random_state,
        n_jobs=1 if random_state is not None else -1,
    )
    with warnings.catch_warnings():
        # umap warns that n_jobs is overridden when random_state is set; we set it already.
        warnings.filterwarnings("ignore", message="n_jobs value")
        return np.asarray(reducer.fit_transform(matrix), dtype=np.float64)
