"""What makes each sub-segment differ from its base segment, as a heatmap."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from metaseg import schema
from metaseg._params import check_choice
from metaseg.exceptions import ConfigError
from metaseg.plots._heatmap import Heatmap, draw_heatmap
from metaseg.plots._model import base_segments, check_base_segment, check_model, own_part

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
        separated by lines, rows labelled ``"code  name"``, a generated name without
        its leading base segment).
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
        labels = [
            f"{code}  {own_part(names.get(code, code), code.rpartition('/')[0])}"
            for code in table.index
        ]
    else:
        labels = [names.get(code, code) for code in table.index]

    shown = table.to_numpy(dtype=np.float64)
    colour_values = np.log2(np.clip(shown, 2.0**-8, None)) if value == "lift" else shown
    limit = _LIMIT[value]
    fmt = "{:.2f}×" if value == "lift" else "{:+.2f}"
    text = np.vectorize(lambda v: fmt.format(v) if np.isfinite(v) else "", otypes=[object])
    from matplotlib.colors import Normalize

    fig, ax = draw_heatmap(
        owner,
        Heatmap(
            colour=colour_values,
            cell_text=text(shown),
            rows=labels,
            columns=list(table.columns),
            cmap="RdBu_r",
            norm=Normalize(-limit, limit),
            colorbar_label="lift (log scale)"
            if value == "lift"
            else "std_diff (standard deviations)",
            xlabel="feature",
            ylabel="",
            title=f"{value} of each sub-segment against its base segment"
            if base_segment is None
            else f"{base_segment}: {value} against the base segment",
            colorbar_ticks=([-2.0, -1.0, 0.0, 1.0, 2.0], ["¼×", "½×", "1×", "2×", "4×"])
            if value == "lift"
            else None,
        ),
        ax,
    )
    if base_segment is None:
        bases = [code.rsplit("/", 1)[0] for code in table.index]
        for row in range(1, len(bases)):
            if bases[row] != bases[row - 1]:
                ax.axhline(row - 0.5, color="black", linewidth=1.2)
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
