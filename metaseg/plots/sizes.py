"""How many customers each base segment and each of its sub-segments holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from metaseg import schema
from metaseg.plots._heatmap import fit_row_labels, shorten
from metaseg.plots._model import base_segments, check_model, own_part
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

#: Largest figure the plot opens, in inches; rows and fonts shrink to fit it.
MAX_FIGSIZE = (12.0, 10.0)
#: Height of one row (a base segment's heading or a sub-segment's bar) in inches.
_ROW = 0.24


def plot_segment_sizes(model: Any, *, ax: Axes | None = None) -> Figure:
    """Draw one horizontal bar per sub-segment, grouped under its base segment.

    Base segments are listed in rule priority order (catch-all last), each with a bold
    heading giving its size and share; below it one bar per sub-segment, labelled with
    its code and name (a generated name without its leading base segment) and, at the bar's end, its size and share of all customers.
    Sub-segments are shaded from the largest (0, darkest) to the smallest in their base
    segment's colour; noise (-1) is grey and hatched. No legend is needed, so the plot
    stays readable at dozens of sub-segments; the figure grows with the rows up to
    :data:`MAX_FIGSIZE` inches, beyond which the fonts shrink.

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
    total = max(int(metrics["n_customers"].sum()), 1)
    labels: list[str] = []
    headings: list[int] = []
    bars: list[tuple[int, float, Any, bool]] = []  # row, size, colour, noise
    base_colours = dict(zip(bases, qualitative_colours(len(bases)), strict=True))
    for base in bases:
        headings.append(len(labels))
        labels.append(_base_label(model, base, total))
        block = summary[summary[schema.BASE_SEGMENT] == base]
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
            bars.append((len(labels), float(size), colour, noise))
            labels.append(shorten(f"{code}  {own_part(str(name), base)}", 70))
    width = 6.5 + min(text_width(labels, 9.0), 4.5)
    height = _ROW * len(labels) + 1.3
    fig, ax = new_axes(
        "plot_segment_sizes",
        ax,
        (min(width, MAX_FIGSIZE[0]), min(max(height, 3.0), MAX_FIGSIZE[1])),
    )
    widest = max((size for _, size, _, _ in bars), default=0.0) or 1.0
    for row, size, colour, noise in bars:
        ax.barh(
            row,
            size,
            height=0.75,
            color=colour,
            edgecolor="white",
            hatch="//" if noise else None,
        )
        ax.text(
            size + 0.01 * widest,
            row,
            f"{int(size):,} ({size / total:.1%})",
            va="center",
            ha="left",
            fontsize="small",
            parse_math=False,
        )
    for row in headings[1:]:
        ax.axhline(row - 0.5, color="0.8", linewidth=0.8)
    ax.set_yticks(range(len(labels)), labels)
    for row in headings:
        ax.get_yticklabels()[row].set_fontweight("bold")
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, widest * 1.3)
    ax.set_xlabel("customers")
    ax.set_title(
        f"Segment sizes\n{int(metrics['n_customers'].sum()):,} customers, "
        f"{len(bases)} base segments, "
        f"{int((summary[schema.SUB_SEGMENT] != schema.NOISE).sum())} sub-segments"
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    plain_text(ax)
    fit_row_labels(fig, ax, len(labels), list(ax.texts))
    return fig


def _base_label(model: Any, base: str, total: int) -> str:
    size = int(model.metrics_.loc[base, "n_customers"])
    split = "" if model.segments_[base].split else ", not split"
    return f"{base} ({size:,}, {size / total:.0%}{split})"
