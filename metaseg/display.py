"""Readable summaries of a fitted segmentation: HTML for notebooks, fixed-width text for logs.

Both views list every base segment (rule priority order, catch-all last) with its size,
share and key metrics (algorithm, k, silhouette, bootstrap stability, noise share),
followed by its sub-segments with their sizes, shares and names. An unfitted model is
described in one sentence instead of raising.

Examples
--------
>>> from metaseg.model import MetaSegmenter
>>> segmentation_text(MetaSegmenter())
'MetaSegmenter (not fitted): call fit(facts) to learn the base segments and their sub-segments.'
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from metaseg import schema
from metaseg.exceptions import ConfigError

#: Written in a cell that has no value (a metric not computed, a segment not split).
MISSING = "-"
NOT_FITTED = (
    "MetaSegmenter (not fitted): call fit(facts) to learn the base segments and their sub-segments."
)
#: Columns of both views: (header, right-aligned).
COLUMNS: tuple[tuple[str, bool], ...] = (
    ("segment", False),
    ("customers", True),
    ("% of base", True),
    ("% of all", True),
    ("algorithm", False),
    ("k", True),
    ("silhouette", True),
    ("stability", True),
    ("noise", True),
    ("name", False),
)


@dataclass(frozen=True)
class _Row:
    """One line of the table, every cell already formatted."""

    is_base: bool
    cells: tuple[str, ...]
    features: str = ""


#: ANSI escape sequences: CSI (``ESC [ ... final``), OSC (``ESC ] ... BEL/ST``) and others.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[@-Z\\-_]"  # other two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: Any) -> str:
    """User text made safe for a terminal: ANSI sequences removed, control characters too.

    Segment names come from users; printed as they are, an escape sequence could
    recolour, move the cursor, clear the screen or retitle the terminal. Tabs and line
    breaks become spaces, so one name stays on one line.

    Parameters
    ----------
    text : object
        The text (anything else is converted with ``str``).

    Returns
    -------
    str

    Examples
    --------
    >>> printable("\x1b[31mVIP\x1b[0m\tbuyers\x07")
    'VIP buyers'
    """
    cleaned = _ANSI.sub("", str(text))
    cleaned = re.sub(r"[\t\n\r\v\f]", " ", cleaned)
    return _CONTROL.sub("", cleaned)


def segmentation_text(model: Any) -> str:
    """Describe a fitted segmentation as fixed-width text (terminals, logs, the CLI).

    Parameters
    ----------
    model : MetaSegmenter
        Fitted or not.

    Returns
    -------
    str
        A header (customers, base and sub-segments, overall metrics), then one line per
        base segment followed by its sub-segments, indented, with their names. For an
        unfitted model, one sentence saying so.

    Raises
    ------
    ConfigError
        If ``model`` is not a segmentation model.

    Examples
    --------
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_000, seed=0)
    >>> model = MetaSegmenter(n_bootstrap=0).fit(compute_facts(events, customers))
    >>> segmentation_text(model).splitlines()[1]
    '1,000 customers in 7 base segments (3 split), 13 sub-segments'
    """
    if not _is_fitted("segmentation_text", model):
        return NOT_FITTED
    rows = _rows(model)
    headers = [name for name, _ in COLUMNS]
    widths = [
        max(len(headers[i]), *(len(row.cells[i]) for row in rows)) for i in range(len(COLUMNS))
    ]

    def line(cells: tuple[str, ...] | list[str]) -> str:
        parts = []
        for (_, right), width, cell in zip(COLUMNS, widths, cells, strict=True):
            parts.append(cell.rjust(width) if right else cell.ljust(width))
        return "  ".join(parts).rstrip()

    table = [line(headers), line(["-" * w for w in widths])]
    for row in rows:
        table.append(line(row.cells))
    return "\n".join([*_header(model), "", *table])


def segmentation_html(model: Any) -> str:
    """Describe a fitted segmentation as an HTML table (Jupyter ``_repr_html_``).

    Every text from the model or the user (segment and base names, reasons) is escaped
    with :func:`html.escape`. Base segment rows are bold on a grey background; their
    sub-segments follow with their names and distinguishing features.

    Parameters
    ----------
    model : MetaSegmenter
        Fitted or not.

    Returns
    -------
    str
        An HTML fragment (a ``div`` with a header and a ``table``); for an unfitted
        model, one paragraph saying so.

    Raises
    ------
    ConfigError
        If ``model`` is not a segmentation model.

    Examples
    --------
    >>> from metaseg.model import MetaSegmenter
    >>> segmentation_html(MetaSegmenter()).startswith("<p>")
    True
    """
    if not _is_fitted("segmentation_html", model):
        return f"<p>{html.escape(NOT_FITTED)}</p>"
    cell = "padding:2px 8px;"
    head = "".join(
        f'<th style="{cell}text-align:{"right" if right else "left"}">{html.escape(name)}</th>'
        for name, right in COLUMNS
    )
    head += f'<th style="{cell}text-align:left">distinguishing features</th>'
    body = []
    for row in _rows(model):
        style = ' style="background:#eeeeee;font-weight:bold"' if row.is_base else ""
        tds = "".join(
            f'<td style="{cell}text-align:{"right" if right else "left"}">{html.escape(value)}</td>'
            for (_, right), value in zip(COLUMNS, row.cells, strict=True)
        )
        tds += f'<td style="{cell}text-align:left">{html.escape(row.features)}</td>'
        body.append(f"<tr{style}>{tds}</tr>")
    lines = "<br>".join(html.escape(text) for text in _header(model))
    return (
        '<div class="metaseg-segmentation">'
        f"<p>{lines}</p>"
        '<table style="border-collapse:collapse">'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody>"
        "</table></div>"
    )


# -- helpers -----------------------------------------------------------------------------


def _is_fitted(owner: str, model: Any) -> bool:
    if not hasattr(model, "fit") or not hasattr(model, "get_params"):
        raise ConfigError(
            f"{owner}: model must be a metaseg.model.MetaSegmenter, got {type(model).__name__}."
        )
    return all(hasattr(model, name) for name in ("summary_", "metrics_", "segments_"))


def _header(model: Any) -> list[str]:
    """Title line and two lines of overall figures."""
    title = type(model).__name__
    as_of = getattr(model, "as_of_", None)
    if as_of is not None:
        title += f", as of {pd.Timestamp(as_of):%Y-%m-%d %H:%M} UTC"
    metrics = model.metrics_
    overall = getattr(model, "overall_metrics_", {}) or {}
    summary = model.summary_
    n_sub = int((summary[schema.SUB_SEGMENT] != schema.NOISE).sum())
    n_split = int(metrics["split"].sum())
    sizes = (
        f"{int(metrics['n_customers'].sum()):,} customers in {len(metrics)} base segments "
        f"({n_split} split), {n_sub} sub-segments"
    )
    quality = (
        f"silhouette {_number(overall.get('silhouette'))} (size-weighted), "
        f"stability min {_number(overall.get('stability_min'))}, "
        f"noise {_share(overall.get('noise_share'))}"
    )
    return [title, sizes, quality]


def _rows(model: Any) -> list[_Row]:
    """Base segment rows in rule priority order, each followed by its sub-segments."""
    metrics = model.metrics_
    summary = model.summary_
    rows: list[_Row] = []
    for base, m in metrics.iterrows():
        split = bool(m["split"])
        k = m["k"] if _finite(m["k"]) else (m["n_sub_segments"] if split else None)
        note = ""
        if not split:
            reason = str(m["reason"] or "no clusterer")
            note = reason if reason.startswith("not split") else f"not split: {reason}"
        rows.append(
            _Row(
                True,
                (
                    printable(base),
                    _count(m["n_customers"]),
                    "",
                    _share(m["share"]),
                    str(m["algorithm"]),
                    _count(k),
                    _number(m["silhouette"]),
                    _number(m["stability"]),
                    _share(m["noise_share"]) if split else MISSING,
                    printable(note),
                ),
            )
        )
        block = summary[summary[schema.BASE_SEGMENT] == base]
        for s in block.itertuples(index=False):
            rows.append(
                _Row(
                    False,
                    (
                        "  " + printable(getattr(s, schema.SEGMENT)),
                        _count(s.size),
                        _share(s.share_of_base),
                        _share(s.share_of_all),
                        "",
                        "",
                        "",
                        "",
                        "",
                        printable(getattr(s, schema.SEGMENT_NAME)),
                    ),
                    features=str(s.top_features),
                )
            )
    return rows


def _finite(value: Any) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _count(value: Any) -> str:
    return f"{int(value):,}" if _finite(value) else MISSING


def _share(value: Any) -> str:
    return f"{100 * float(value):.1f}%" if _finite(value) else MISSING


def _number(value: Any) -> str:
    return f"{float(value):.2f}" if _finite(value) else MISSING
