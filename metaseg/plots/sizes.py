"""How many customers each base segment and each of its sub-segments holds."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from metaseg import schema
from metaseg.plots._model import base_segments, check_model
from metaseg.plots._style import (
    NOISE_COLOUR,
    new_axes,
    plain_text,
    qualitative_colours,
    shade,
    text_width,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Sub-segment numbers are written inside pieces at least this share of the widest bar.
_MIN_LABELLED_WIDTH = 0.04


def plot_segment_sizes(model: Any, *, ax: Axes | None = None) -> Figure:
    """Draw one horizontal bar per base segment, its sub-segments stacked inside.

    Base segments are listed in rule priority order (catch-all last) with their size;
    each piece is a sub-segment, shaded from the largest (0, darkest) to the smallest,
    noise (-1) grey and hatched. The legend gives every sub-segment's code, name and
    size.

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
    >>> model = MetaSegmenter(n_bootstrap=0).fit(compute_facts(events, customers))
    >>> fig = plot_segment_sizes(model)
    >>> fig.axes[0].get_xlabel()
    'customers'
    """
    check_model("plot_segment_sizes", model)
    summary = model.summary_
    metrics = model.metrics_
    bases = base_segments(model)
    n_legend = len(summary)
    legend_width = 0.9 * text_width(
        [
            f"{code}  {name}  (000,000)"
            for code, name in zip(
                summary[schema.SEGMENT], summary[schema.SEGMENT_NAME], strict=True
            )
        ]
    )
    fig, ax = new_axes(
        "plot_segment_sizes",
        ax,
        (7.0 + legend_width, max(3.0, 0.55 * len(bases) + 1.5, 0.2 * min(n_legend, 30) + 1.0)),
    )
    widest = max(float(metrics["n_customers"].max()), 1.0)
    base_colours = dict(zip(bases, qualitative_colours(len(bases)), strict=True))
    handles = []
    for row, base in enumerate(bases):
        block = summary[summary[schema.BASE_SEGMENT] == base]
        left = 0.0
        n_regular = int((block[schema.SUB_SEGMENT] != schema.NOISE).sum())
        for sub, code, name, size in zip(
            block[schema.SUB_SEGMENT],
            block[schema.SEGMENT],
            block[schema.SEGMENT_NAME],
            block["size"],
            strict=True,
        ):
            noise = int(sub) == schema.NOISE
            colour = NOISE_COLOUR if noise else shade(base_colours[base], int(sub), n_regular)
            bars = ax.barh(
                row,
                float(size),
                left=left,
                height=0.7,
                color=colour,
                edgecolor="white",
                hatch="//" if noise else None,
                label=f"{code}  {name}  ({int(size):,})",
            )
            handles.append(bars)
            if size / widest >= _MIN_LABELLED_WIDTH:
                ax.text(
                    left + size / 2,
                    row,
                    str(int(sub)),
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="black" if noise else "white",
                )
            left += float(size)
    ax.set_yticks(range(len(bases)), [_base_label(model, base) for base in bases])
    ax.set_ylim(len(bases) - 0.5, -0.5)
    ax.set_xlabel("customers")
    ax.set_title(
        f"Segment sizes: {int(metrics['n_customers'].sum()):,} customers, "
        f"{len(bases)} base segments, "
        f"{int((summary[schema.SUB_SEGMENT] != schema.NOISE).sum())} sub-segments"
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            frameon=False,
            ncols=max(1, math.ceil(len(handles) / 30)),
            title="sub-segments",
        )
    plain_text(ax)
    return fig


def _base_label(model: Any, base: str) -> str:
    size = int(model.metrics_.loc[base, "n_customers"])
    split = model.segments_[base].split
    return f"{base} ({size:,})" if split else f"{base} ({size:,}, not split)"
