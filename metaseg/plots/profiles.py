"""What makes each sub-segment differ from its base segment, as a heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._params import check_choice
from metaseg.exceptions import ConfigError
from metaseg.plots._model import base_segments, check_base_segment, check_model
from metaseg.plots._style import (
    MAX_ANNOTATED_CELLS,
    ink_for,
    new_axes,
    plain_text,
    text_width,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: What a cell can show: the profile column and how it is coloured.
VALUES = ("std_diff", "lift")
#: Colour scale limit of ``std_diff`` and of ``log2(lift)``.
_LIMIT = {"std_diff": 2.0, "lift": 2.0}


def plot_profile_heatmap(
    model: Any,
    base_segment: str | None = None,
    *,
    value: str = "std_diff",
    ax: Axes | None = None,
) -> Figure:
    """Draw one row per sub-segment and one column per feature, coloured by its difference.

    ``std_diff`` is ``(mean - parent_mean) / parent_std``; ``lift`` is
    ``mean / parent_mean``, coloured on a log2 scale so 2× and ½× look equally strong.
    Red is above the base segment, blue below, white the same; grey cells are features
    the base segment was not profiled on (or a lift that is undefined).

    Parameters
    ----------
    model : MetaSegmenter
        A fitted model.
    base_segment : str, optional
        Only this base segment's sub-segments; all of them when omitted (base segments
        separated by lines, rows labelled ``"name (code)"``).
    value : {"std_diff", "lift"}, default="std_diff"
        What each cell shows.
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
    >>> fig = plot_profile_heatmap(model, "active", value="lift")
    >>> fig.axes[0].get_title()
    'active: lift against the base segment'
    """
    owner = "plot_profile_heatmap"
    check_model(owner, model)
    check_choice(owner, "value", value, VALUES)
    profiles = model.profiles_
    if base_segment is not None:
        check_base_segment(owner, model, base_segment)
        profiles = profiles[profiles[schema.BASE_SEGMENT] == base_segment]
    if profiles.empty:
        raise ConfigError(
            f"{owner}: base segment {base_segment!r} has no customers, so it has no profile. "
            "Pick a base segment with customers or omit base_segment."
        )
    table = _cells(model, profiles, value)
    names = dict(
        zip(model.summary_[schema.SEGMENT], model.summary_[schema.SEGMENT_NAME], strict=True)
    )
    if base_segment is None:
        labels = [f"{names.get(code, code)} ({code})" for code in table.index]
    else:
        labels = [names.get(code, code) for code in table.index]

    n_rows, n_cols = table.shape
    width = text_width(labels) + 0.7 * n_cols + 2.5
    fig, ax = new_axes(owner, ax, (max(6.0, width), max(2.5, 0.4 * n_rows + 1.8)))
    shown = table.to_numpy(dtype=np.float64)
    colour_values = np.log2(np.clip(shown, 2.0**-8, None)) if value == "lift" else shown
    limit = _LIMIT[value]
    from matplotlib import colormaps

    cmap = colormaps["RdBu_r"].with_extremes(bad="#e0e0e0")
    image = ax.imshow(
        np.ma.masked_invalid(colour_values),
        cmap=cmap,
        vmin=-limit,
        vmax=limit,
        aspect="auto",
        interpolation="nearest",
    )
    colorbar = fig.colorbar(image, ax=ax, shrink=0.9)
    if value == "lift":
        colorbar.set_ticks([-2.0, -1.0, 0.0, 1.0, 2.0], labels=["¼×", "½×", "1×", "2×", "4×"])
        colorbar.set_label("lift (log scale)")
    else:
        colorbar.set_label("std_diff (standard deviations)")
    if n_rows * n_cols <= MAX_ANNOTATED_CELLS:
        for (i, j), cell in np.ndenumerate(shown):
            if np.isfinite(cell):
                text = f"{cell:.2f}×" if value == "lift" else f"{cell:+.2f}"
                ink = ink_for(cmap(image.norm(colour_values[i, j])))
                ax.text(j, i, text, ha="center", va="center", fontsize="x-small", color=ink)
    ax.set_xticks(range(n_cols), list(table.columns), rotation=40, ha="right")
    ax.set_yticks(range(n_rows), labels)
    if base_segment is None:
        bases = [code.rsplit("/", 1)[0] for code in table.index]
        for row in range(1, n_rows):
            if bases[row] != bases[row - 1]:
                ax.axhline(row - 0.5, color="black", linewidth=1.2)
    ax.set_xlabel("feature")
    if base_segment is None:
        ax.set_title(f"{value} of each sub-segment against its base segment")
    else:
        ax.set_title(f"{base_segment}: {value} against the base segment")
    plain_text(ax)
    return fig


def _cells(model: Any, profiles: pd.DataFrame, value: str) -> pd.DataFrame:
    """Pivot the profile to segments × features, rows in rule priority then canonical order."""
    priority = {name: i for i, name in enumerate(base_segments(model))}
    rows = profiles.drop_duplicates(schema.SEGMENT)
    sub = rows[schema.SUB_SEGMENT].to_numpy(dtype=np.int64)
    base_rank = rows[schema.BASE_SEGMENT].map(priority).to_numpy(dtype=np.int64)
    order = np.lexsort((sub, sub == schema.NOISE, base_rank))
    codes = rows[schema.SEGMENT].to_numpy(dtype=object)[order].tolist()
    features = list(dict.fromkeys(profiles["feature"].astype(str)))
    table = profiles.pivot(index=schema.SEGMENT, columns="feature", values=value)
    return table.reindex(index=codes, columns=features)
