"""Drift of a segmentation: PSI of each fact per population, and customer migration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg._params import check_choice
from metaseg.exceptions import ConfigError
from metaseg.plots._heatmap import Heatmap, draw_heatmap
from metaseg.plots.migration import compact_count

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WHAT = ("psi", "migration")
#: PSI above this value gets the darkest colour (the cell still writes the value).
PSI_CAP = 0.5


def plot_drift(report: Any, what: str = "psi", *, ax: Axes | None = None) -> Figure:
    """Draw a drift report as a heatmap.

    Parameters
    ----------
    report : DriftReport
        From :func:`metaseg.over_time.drift_report`.
    what : {"psi", "migration"}, default "psi"
        ``"psi"``: facts in rows, populations (everybody, then each base segment) in
        columns, colour = PSI (capped at 0.5; 0.1 and 0.25 are the usual moderate and
        major levels). ``"migration"``: previous segment in rows, today's in columns,
        colour = share of the previous segment's customers, cells = customers. The
        figure is capped at :data:`~metaseg.plots._heatmap.MAX_FIGSIZE` inches; labels
        and cell texts are sized to fit their rows and columns.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ConfigError
        If ``report`` is not a DriftReport, ``what`` is unknown, or the report has no
        PSI (no reference) or no migration (no previous labels).

    Examples
    --------
    >>> fig = plot_drift(report, "psi")  # doctest: +SKIP
    """
    from metaseg.fact_reference import EVERYONE
    from metaseg.over_time.drift import DriftReport

    owner = "plot_drift"
    check_choice(owner, "what", what, WHAT)
    if not isinstance(report, DriftReport):
        raise ConfigError(
            f"{owner}: report must be a DriftReport (metaseg.over_time.drift_report), got "
            f"{type(report).__name__}."
        )
    from matplotlib.colors import Normalize

    if what == "psi":
        if len(report.psi) == 0:
            raise ConfigError(
                f"{owner}: the report has no PSI (it was made without reference facts); "
                "call drift_report(..., reference_facts=fit_facts)."
            )
        table = report.psi.pivot_table(index="fact", columns="population", values="psi")
        columns = [EVERYONE] + sorted(c for c in table.columns if c != EVERYONE)
        order = table[EVERYONE].sort_values(ascending=False).index
        table = table.reindex(index=order, columns=columns)
        values = table.to_numpy(dtype=np.float64)
        text = np.vectorize(lambda v: f"{v:.2f}" if np.isfinite(v) else "", otypes=[object])
        heatmap = Heatmap(
            colour=np.minimum(values, PSI_CAP),
            cell_text=text(values),
            rows=[str(i) for i in table.index],
            columns=[str(c) for c in table.columns],
            cmap="OrRd",
            norm=Normalize(0.0, PSI_CAP),
            colorbar_label=f"population stability index (capped at {PSI_CAP})",
            xlabel="population",
            ylabel="fact",
            title="Fact drift since the fit (PSI; 0.1 moderate, 0.25 major)",
        )
    else:
        if report.migration is None:
            raise ConfigError(
                f"{owner}: the report has no migration; call drift_report(..., "
                "previous_labels=last_exported_labels)."
            )
        table = report.migration
        counts = table.to_numpy(dtype=np.float64)
        totals = counts.sum(axis=1, keepdims=True)
        heatmap = Heatmap(
            colour=np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0),
            cell_text=np.vectorize(compact_count, otypes=[object])(counts),
            rows=[str(i) for i in table.index],
            columns=[str(c) for c in table.columns],
            cmap="Blues",
            norm=Normalize(0.0, 1.0),
            colorbar_label="share of the previous segment's customers",
            xlabel="today's segment",
            ylabel="previous segment",
            title=(
                f"Migration of {report.overall['n_common']:,} customers: "
                f"{report.overall['moved_share']:.0%} moved\n(cells: customers; colour: "
                "share of the row)"
            ),
        )
    fig, _ = draw_heatmap(owner, heatmap, ax)
    return fig
