"""How an automatic k-means or Gaussian mixture chose its number of sub-segments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg._messages import available
from metaseg.cluster.auto_kmeans import CRITERIA as _HIGHER_IS_BETTER
from metaseg.exceptions import ConfigError
from metaseg.plots._model import check_base_segment, check_model
from metaseg.plots._style import new_axes, plain_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def plot_k_selection(model: Any, base_segment: str, *, ax: Axes | None = None) -> Figure:
    """Draw the evidence used to choose k, one included, with the choice marked.

    For ``gmm`` (:class:`~metaseg.cluster.AutoGaussianMixture`), three panels for every
    k from 1: the criterion (ICL or BIC, lower is better), the log-likelihood (how much
    better k components fit: the elbow) and the posterior entropy (how much the
    components overlap: what ICL charges on top of BIC).

    For ``kmeans`` (:class:`~metaseg.cluster.AutoKMeans`): the criterion for every
    k >= 2 (the candidate split), the inertia for every k from 1 (the elbow), and the
    gap statistic with two standard errors (the split test: the dashed line is Gap(1);
    a k whose lower bar clears it shows structure).

    The title gives the decision, ``not split`` included.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted model.
    base_segment : str
        A base segment sub-segmented with ``gmm`` or ``kmeans``, split or left whole.
    ax : matplotlib Axes, optional
        Draw only the criterion panel there; a new three-panel figure when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If the base segment is unknown or has no scored k (too small, HDBSCAN, or
        ``algorithm: none``); the message lists the base segments that have one.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_000, seed=0)
    >>> model = MetaSegmenter(n_bootstrap=0).fit(compute_facts(events, customers))
    >>> fig = plot_k_selection(model, "active")
    >>> [a.get_xlabel() for a in fig.axes][:1]
    ['k (number of sub-segments)']
    """
    owner = "plot_k_selection"
    check_model(owner, model)
    name = check_base_segment(owner, model, base_segment)
    segment = model.segments_[name]
    scores = segment.selection
    if scores is None or len(scores) == 0:
        have = k_selection_segments(model)
        raise ConfigError(
            f"{owner}: base segment {name!r} has no scored k "
            f"({segment.reason or segment.algorithm}); only segments sub-segmented by "
            "gmm or kmeans have a k-selection curve: "
            f"{available(have) if have else 'none in this model'}."
        )
    mixture = "icl" in scores.columns
    default_criterion = "icl" if mixture else "silhouette"
    criterion = model.spec_.for_segment(name).params.get("criterion", default_criterion)
    chosen = int(scores.index[scores["chosen"].to_numpy(dtype=bool)][0])
    if ax is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(13.0, 4.2), layout="constrained")
    else:
        fig, only = new_axes(owner, ax, (7.0, 4.5))
        axes = [only]
    shown = scores if mixture else scores.loc[scores.index >= 2]
    _panel(axes[0], shown.index, shown[criterion], chosen, criterion)
    higher = False if mixture else _HIGHER_IS_BETTER[criterion]
    label = criterion.upper() if mixture else criterion
    axes[0].set_ylabel(f"{label} ({'higher' if higher else 'lower'} is better)")
    if len(axes) > 1 and mixture:
        _panel(axes[1], scores.index, scores["log_likelihood"], chosen, "log-likelihood")
        axes[1].set_ylabel("log-likelihood (higher fits better)")
        _panel(axes[2], scores.index, scores["entropy"], chosen, "entropy")
        axes[2].set_ylabel("posterior entropy (overlap of components)")
    elif len(axes) > 1:
        _panel(axes[1], scores.index, scores["inertia"], chosen, "inertia")
        axes[1].set_ylabel("inertia (within-cluster sum of squares)")
        _gap_panel(axes[2], scores, chosen)
    if len(axes) > 1:
        decision = f"k = {chosen}" if chosen > 1 else "not split (k = 1)"
        fig.suptitle(f"{name}: {decision}").set_parse_math(False)
    axes[0].set_title(f"{name}: choice of k by {label}")
    for each in axes:
        each.set_xticks(shown.index if each is axes[0] else scores.index)
        each.set_xlabel("k (number of sub-segments)")
        each.grid(alpha=0.3)
        if each.get_legend_handles_labels()[0]:
            each.legend(loc="best", fontsize="small")
        plain_text(each)
    return fig


def _panel(ax: Axes, k: Any, values: Any, chosen: int, label: str) -> None:
    k = np.asarray(k, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    ax.plot(k, values, marker="o", color="tab:blue", label=label)
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


def _gap_panel(ax: Axes, scores: Any, chosen: int) -> None:
    from metaseg.cluster.gap import N_STANDARD_ERRORS

    if scores["gap"].isna().all():
        ax.text(
            0.5,
            0.5,
            "no gap test\n(k_min >= 2 or silhouette test)",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_ylabel("gap statistic")
        return
    k = scores.index.to_numpy(dtype=np.int64)
    gap = scores["gap"].to_numpy(dtype=np.float64)
    bars = N_STANDARD_ERRORS * scores["gap_se"].to_numpy(dtype=np.float64)
    ax.errorbar(
        k,
        gap,
        yerr=bars,
        marker="o",
        capsize=3,
        color="tab:green",
        label=f"gap ± {N_STANDARD_ERRORS:g} se",
    )
    ax.axhline(gap[0], color="grey", linestyle="--", linewidth=1, label="Gap(1)")
    ax.axvline(chosen, color="tab:red", linestyle="--", linewidth=1)
    ax.set_ylabel("gap statistic (split test)")


def k_selection_segments(model: Any) -> list[str]:
    """Base segments of a fitted model that have a k-selection curve."""
    return [
        name
        for name, segment in model.segments_.items()
        if segment.selection is not None and len(segment.selection) > 0
    ]
