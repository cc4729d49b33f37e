"""How an automatic k-means chose its number of sub-segments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg._messages import available
from metaseg.cluster.auto_kmeans import CRITERIA as _HIGHER_IS_BETTER
from metaseg.exceptions import ConfigError
from metaseg.plots._model import check_model, check_split, split_segments
from metaseg.plots._style import new_axes, plain_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def plot_k_selection(model: Any, base_segment: str, *, ax: Axes | None = None) -> Figure:
    """Draw the criterion an AutoKMeans scored for every k, with the chosen k marked.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted model.
    base_segment : str
        A base segment split by ``kmeans`` (:class:`~metaseg.cluster.AutoKMeans`).
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If the base segment is unknown, was not split, or was split by another
        algorithm (HDBSCAN does not choose a k); the message lists the base segments
        that have a k-selection curve.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_000, seed=0)
    >>> model = MetaSegmenter(n_bootstrap=0).fit(compute_facts(events, customers))
    >>> fig = plot_k_selection(model, "active")
    >>> fig.axes[0].get_xlabel()
    'k (number of sub-segments)'
    """
    owner = "plot_k_selection"
    check_model(owner, model)
    segment = check_split(owner, model, base_segment)
    scores = getattr(segment.clusterer, "scores_", None)
    criterion = getattr(segment.clusterer, "criterion", None)
    if scores is None or criterion not in _HIGHER_IS_BETTER or len(scores) == 0:
        have = k_selection_segments(model)
        raise ConfigError(
            f"{owner}: base segment {base_segment!r} was split by "
            f"{type(segment.clusterer).__name__} (algorithm {segment.algorithm!r}), which "
            "does not choose k from scored candidates; only kmeans (AutoKMeans) segments "
            f"have a k-selection curve: {available(have) if have else 'none in this model'}."
        )
    k = scores.index.to_numpy(dtype=np.int64)
    values = scores[criterion].to_numpy(dtype=np.float64)
    chosen = int(segment.clusterer.best_k_)
    fig, ax = new_axes(owner, ax, (7.0, 4.5))
    ax.plot(k, values, marker="o", color="tab:blue", label=criterion)
    at = values[k == chosen]
    ax.axvline(chosen, color="tab:red", linestyle="--", linewidth=1)
    ax.plot(
        [chosen] * at.size,
        at,
        marker="*",
        markersize=16,
        linestyle="none",
        color="tab:red",
        label=f"chosen k = {chosen}",
    )
    ax.set_xticks(k)
    ax.set_xlabel("k (number of sub-segments)")
    better = "higher" if _HIGHER_IS_BETTER[criterion] else "lower"
    ax.set_ylabel(f"{criterion} ({better} is better)")
    ax.set_title(f"{base_segment}: choice of k by {criterion}")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    plain_text(ax)
    return fig


def k_selection_segments(model: Any) -> list[str]:
    """Base segments of a fitted model that have a k-selection curve."""
    return [
        name
        for name in split_segments(model)
        if len(getattr(model.segments_[name].clusterer, "scores_", ())) > 0
        and getattr(model.segments_[name].clusterer, "criterion", None) in _HIGHER_IS_BETTER
    ]
