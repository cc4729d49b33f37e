"""Bootstrap stability of every base segment's sub-segments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg.plots._model import base_segments, check_model
from metaseg.plots._style import new_axes, plain_text, qualitative_colours

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def plot_stability(model: Any, *, ax: Axes | None = None) -> Figure:
    """Draw one bar per base segment: the mean adjusted Rand index of its bootstrap refits.

    1 means every bootstrap refit found the same sub-segments; near 0, a random split.
    Base segments without a value (not split, or a model fitted with
    ``n_bootstrap=0``) get no bar and say why at the bar's place.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted model.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_000, seed=0)
    >>> model = MetaSegmenter(n_bootstrap=1).fit(compute_facts(events, customers))
    >>> fig = plot_stability(model)
    >>> fig.axes[0].get_ylabel()
    'stability (mean adjusted Rand index)'
    """
    check_model("plot_stability", model)
    bases = base_segments(model)
    values = model.metrics_["stability"].reindex(bases).to_numpy(dtype=np.float64)
    n_bootstrap = int(getattr(getattr(model, "spec_", None), "n_bootstrap", 0) or 0)
    fig, ax = new_axes("plot_stability", ax, (max(5.0, 0.9 * len(bases) + 2.0), 4.5))
    colours = qualitative_colours(len(bases))
    positions = np.arange(len(bases))
    for position, base, value, colour in zip(positions, bases, values, colours, strict=True):
        if np.isfinite(value):
            ax.bar(position, value, color=colour, width=0.7)
            ax.text(position, value + 0.02, f"{value:.2f}", ha="center", va="bottom")
        else:
            why = "not split" if not model.segments_[base].split else "not computed"
            ax.text(position, 0.03, why, ha="center", va="bottom", rotation=90, color="0.35")
    crowded = len(bases) > 6
    ax.set_xticks(
        positions, bases, rotation=30 if crowded else 0, ha="right" if crowded else "center"
    )
    finite = values[np.isfinite(values)]
    ax.set_ylim(min(0.0, float(finite.min()) - 0.05) if finite.size else 0.0, 1.12)
    ax.set_ylabel("stability (mean adjusted Rand index)")
    ax.set_xlabel("base segment")
    if n_bootstrap:
        title = f"Bootstrap stability of the sub-segments ({n_bootstrap} refit(s) per segment)"
    else:
        title = "Bootstrap stability not computed (the model was fitted with n_bootstrap=0)"
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    plain_text(ax)
    return fig
