"""Bootstrap stability of every base segment's sub-segments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg._params import check_real
from metaseg.plots._heatmap import fit_row_labels, shorten
from metaseg.plots._model import base_segments, check_model
from metaseg.plots._style import new_axes, plain_text, qualitative_colours, text_width

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


#: Default reference line: the quality gate's default ``min_stability``
#: (:class:`metaseg.tracking.gates.QualityGates`).
STABILITY_THRESHOLD = 0.6


def plot_stability(
    model: Any, *, threshold: float | None = STABILITY_THRESHOLD, ax: Axes | None = None
) -> Figure:
    """Draw one horizontal bar per base segment: the mean adjusted Rand index of its refits.

    1 means every bootstrap refit found the same sub-segments; near 0, a random split.
    Each bar writes its value; a red dashed line marks ``threshold`` (explained under
    the axis) and bars below it are hatched. Base segments without a value (not split, or a model fitted with
    ``n_bootstrap=0``) get no bar and say why in their row.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted model.
    threshold : float or None, default=0.6
        Where to draw the reference line (the default quality gate ``min_stability``);
        None draws none.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If ``threshold`` is not a number between -1 and 1 (or None).

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_000, seed=0)
    >>> model = MetaSegmenter(n_bootstrap=1).fit(compute_facts(events, customers))
    >>> fig = plot_stability(model)
    >>> print(fig.axes[0].get_xlabel())
    stability (mean adjusted Rand index)
    red dashed line: threshold 0.6; hatched bars fall below it
    """
    owner = "plot_stability"
    check_model(owner, model)
    if threshold is not None:
        threshold = check_real(
            owner,
            "threshold",
            threshold,
            low=-1.0,
            high=1.0,
            hint="pass the stability a segment should reach, e.g. 0.6, or None for no line",
        )
    bases = base_segments(model)
    values = model.metrics_["stability"].reindex(bases).to_numpy(dtype=np.float64)
    n_bootstrap = int(getattr(getattr(model, "spec_", None), "n_bootstrap", 0) or 0)
    labels = [shorten(base, 40) for base in bases]
    fig, ax = new_axes(
        owner,
        ax,
        (min(6.0 + text_width(labels, 9.0), 12.0), min(max(3.0, 0.32 * len(bases) + 1.6), 10.0)),
    )
    colours = qualitative_colours(len(bases))
    finite = values[np.isfinite(values)]
    left = min(0.0, float(finite.min()) - 0.05) if finite.size else 0.0
    for row, (base, value, colour) in enumerate(zip(bases, values, colours, strict=True)):
        if np.isfinite(value):
            low = threshold is not None and value < threshold
            ax.barh(row, value, color=colour, height=0.7, hatch="//" if low else None)
            ax.text(max(value, 0.0) + 0.01, row, f"{value:.2f}", va="center", fontsize="small")
        else:
            why = "not split" if not model.segments_[base].split else "not computed"
            ax.text(max(left, 0.0) + 0.01, row, why, va="center", fontsize="small", color="0.35")
    if threshold is not None:
        ax.axvline(threshold, color="#d62728", linestyle="--", linewidth=1.2)
    ax.set_yticks(range(len(bases)), labels)
    ax.set_ylim(len(bases) - 0.5, -0.5)
    ax.set_xlim(left, 1.12)
    xlabel = "stability (mean adjusted Rand index)"
    if threshold is not None:
        xlabel += f"\nred dashed line: threshold {threshold:g}; hatched bars fall below it"
    ax.set_xlabel(xlabel)
    if n_bootstrap:
        title = f"Bootstrap stability of the sub-segments\n({n_bootstrap} refit(s) per segment)"
    else:
        title = "Bootstrap stability not computed\n(the model was fitted with n_bootstrap=0)"
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    plain_text(ax)
    fit_row_labels(fig, ax, len(bases), list(ax.texts))
    return fig
