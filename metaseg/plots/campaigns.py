"""Campaign lift per segment with its confidence interval."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from metaseg._messages import available, preview
from metaseg._params import check_choice
from metaseg.exceptions import ConfigError
from metaseg.plots._style import NOISE_COLOUR, new_axes, plain_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

AGAINST = ("holdout", "population")
LEVELS = ("segment", "base_segment")


def plot_campaign_lift(
    report: pd.DataFrame,
    against: str = "holdout",
    *,
    campaign: str | None = None,
    level: str = "segment",
    ax: Axes | None = None,
) -> Figure:
    """Draw each segment's lift as a point with its interval (1 = no difference).

    Segments flagged ``enough_data=False`` are drawn hollow and grey.

    Parameters
    ----------
    report : DataFrame
        From :func:`metaseg.over_time.campaign_report`.
    against : {"holdout", "population"}, default "holdout"
        ``lift_vs_holdout`` or ``lift_vs_population``.
    campaign : str, optional
        Which campaign; required when the report has several.
    level : {"segment", "base_segment"}, default "segment"
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If an argument is invalid, the campaign is unknown or ambiguous, or there is no
        holdout to compare with.

    Examples
    --------
    >>> fig = plot_campaign_lift(report, "population", campaign="spring")  # doctest: +SKIP
    """
    owner = "plot_campaign_lift"
    check_choice(owner, "against", against, AGAINST)
    check_choice(owner, "level", level, LEVELS)
    if not isinstance(report, pd.DataFrame) or "lift_vs_holdout" not in report.columns:
        raise ConfigError(
            f"{owner}: report must be the DataFrame returned by campaign_report, got "
            f"{type(report).__name__}."
        )
    campaigns = sorted(report["campaign"].unique().tolist())
    if campaign is None:
        if len(campaigns) != 1:
            raise ConfigError(
                f"{owner}: the report has {len(campaigns)} campaigns {preview(campaigns)}; "
                "choose one with campaign=..."
            )
        campaign = campaigns[0]
    if campaign not in campaigns:
        raise ConfigError(
            f"{owner}: no campaign {campaign!r} in the report; it has {available(campaigns)}."
        )
    rows = report[(report["campaign"] == campaign) & (report["level"] == level)]
    column = f"lift_vs_{against}"
    if against == "holdout" and not (rows["holdout_sends"] > 0).any():
        raise ConfigError(
            f"{owner}: campaign {campaign!r} has no holdout customers; use against='population'."
        )
    rows = rows.iloc[::-1]
    y = np.arange(len(rows))
    est = rows[column].to_numpy(dtype=np.float64)
    low = rows[f"{column}_low"].to_numpy(dtype=np.float64)
    high = rows[f"{column}_high"].to_numpy(dtype=np.float64)
    ok = rows["enough_data"].to_numpy(dtype=bool)
    fig, ax = new_axes(owner, ax, (7.0, max(3.0, 0.35 * len(rows) + 1.5)))
    err = np.vstack([np.nan_to_num(est - low), np.nan_to_num(high - est)])
    for mask, colour, face in ((ok, "C0", "C0"), (~ok, NOISE_COLOUR, "white")):
        if mask.any():
            ax.errorbar(
                est[mask],
                y[mask],
                xerr=err[:, mask],
                fmt="o",
                color=colour,
                markerfacecolor=face,
                capsize=3,
                label="enough data" if colour == "C0" else "too few sends",
            )
    ax.axvline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_yticks(y, rows["segment"].astype(str).tolist())
    ax.set_xlabel(f"conversion rate / {against} rate")
    ax.set_title(f"Campaign {campaign!r}: lift against the {against}")
    ax.legend(loc="best", fontsize="small")
    plain_text(ax)
    return fig
