"""A labelled heatmap whose size is capped and whose text is sized to its cells.

The migration and drift plots draw tables of up to a few dozen rows and columns. A
figure that grows with the table becomes thousands of pixels wide, and fixed font sizes
make neighbouring labels run into each other. :func:`draw_heatmap` therefore

* sizes the figure from the table but never beyond :data:`MAX_FIGSIZE`;
* writes column labels vertically (their boxes are then one line tall, so neighbours
  never touch);
* after a layout pass, sets the tick labels' font to what a row or column has room
  for, leaving out every other label (then every third, ...) when even the smallest
  readable font does not fit;
* writes the cell texts in the largest font that fits the cells, or leaves them out
  (and says so in the title) when none is readable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from metaseg.plots._style import ink_for, new_axes, plain_text, text_width

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Largest figure a heatmap opens, in inches (about 1,300 × 1,100 pixels at 110 dpi).
MAX_FIGSIZE = (12.0, 10.0)
#: Smallest figure a heatmap opens, in inches.
MIN_FIGSIZE = (6.0, 4.0)
#: Font sizes (points) of tick labels and cell texts: the largest used, the smallest kept.
TICK_FONT = (9.0, 6.0)
CELL_FONT = (8.0, 5.5)
#: Longest tick label (characters) before it is shortened with an ellipsis.
MAX_LABEL_CHARS = 60


@dataclass(frozen=True)
class Heatmap:
    """What a heatmap shows.

    Attributes
    ----------
    colour : ndarray
        Values mapped to colour (rows × columns); NaN is drawn as the colour map's "bad".
    cell_text : ndarray of str or None
        Text written in each cell ("" for none), same shape.
    rows, columns : sequence of str
        Tick labels.
    cmap : str
        Matplotlib colour map name.
    norm : matplotlib Normalize
        Maps ``colour`` to the colour map.
    colorbar_label, xlabel, ylabel, title : str
    colorbar_ticks : (positions, labels), optional
        Ticks of the colour bar, when its values need other names (a log scale).
    """

    colour: np.ndarray
    cell_text: np.ndarray | None
    rows: Sequence[str]
    columns: Sequence[str]
    cmap: str
    norm: Any
    colorbar_label: str
    xlabel: str
    ylabel: str
    title: str
    colorbar_ticks: tuple[Sequence[float], Sequence[str]] | None = None


def shorten(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    """``label`` cut to ``limit`` characters, an ellipsis marking the cut.

    Examples
    --------
    >>> shorten("a" * 50, 10)
    'aaaaaaaaa…'
    >>> shorten("short")
    'short'
    """
    return label if len(label) <= limit else label[: limit - 1] + "…"


def heatmap_figsize(heatmap: Heatmap) -> tuple[float, float]:
    """Figure size for ``heatmap``: room for its labels and cells, capped at MAX_FIGSIZE."""
    n_rows, n_cols = heatmap.colour.shape
    cell = 0.42 if heatmap.cell_text is not None else 0.3
    rows = [shorten(r) for r in heatmap.rows]
    columns = [shorten(c) for c in heatmap.columns]
    width = min(text_width(rows, TICK_FONT[0]), 3.5) + n_cols * cell + 2.2
    height = min(text_width(columns, TICK_FONT[0]), 3.0) + n_rows * cell + 1.4
    return (
        float(np.clip(width, MIN_FIGSIZE[0], MAX_FIGSIZE[0])),
        float(np.clip(height, MIN_FIGSIZE[1], MAX_FIGSIZE[1])),
    )


def draw_heatmap(owner: str, heatmap: Heatmap, ax: Axes | None = None) -> tuple[Figure, Axes]:
    """Draw ``heatmap`` into ``ax`` (or a new, capped figure); return ``(figure, axes)``."""
    from matplotlib import colormaps

    fig, ax = new_axes(owner, ax, heatmap_figsize(heatmap))
    n_rows, n_cols = heatmap.colour.shape
    cmap = colormaps[heatmap.cmap].with_extremes(bad="#e0e0e0")
    image = ax.imshow(
        np.ma.masked_invalid(heatmap.colour),
        cmap=cmap,
        norm=heatmap.norm,
        aspect="auto",
        interpolation="nearest",
    )
    colorbar = fig.colorbar(image, ax=ax, shrink=0.9)
    colorbar.set_label(heatmap.colorbar_label)
    if heatmap.colorbar_ticks is not None:
        positions, names = heatmap.colorbar_ticks
        colorbar.set_ticks(positions, labels=names)
    ax.set_xticks(range(n_cols), [shorten(c) for c in heatmap.columns], rotation=90)
    ax.set_yticks(range(n_rows), [shorten(r) for r in heatmap.rows])
    ax.tick_params(length=2)
    ax.set_xlabel(heatmap.xlabel)
    ax.set_ylabel(heatmap.ylabel)
    ax.set_title(heatmap.title, fontsize=10)
    plain_text(ax)
    fig.draw_without_rendering()
    cell_w, cell_h = cell_points(ax, n_rows, n_cols)
    _fit_ticks(ax.xaxis, cell_w)
    _fit_ticks(ax.yaxis, cell_h)
    if heatmap.cell_text is not None:
        size = cell_font(heatmap.cell_text, cell_w, cell_h)
        if size is None:
            ax.set_title(
                f"{heatmap.title}\n(cells too small to write their values: "
                "enlarge the figure or see the table)",
                fontsize=10,
            )
        else:
            for (i, j), text in np.ndenumerate(heatmap.cell_text):
                if text:
                    value = heatmap.colour[i, j]
                    rgba = cmap(heatmap.norm(value)) if np.isfinite(value) else (1, 1, 1, 1)
                    ax.text(
                        j,
                        i,
                        text,
                        ha="center",
                        va="center",
                        fontsize=size,
                        color=ink_for(rgba),
                        parse_math=False,
                    )
    return fig, ax


def cell_points(ax: Axes, n_rows: int, n_cols: int) -> tuple[float, float]:
    """Width and height of one cell of ``ax``, in points, after the last layout."""
    box = ax.get_window_extent()
    scale = 72.0 / ax.figure.dpi
    return box.width * scale / max(n_cols, 1), box.height * scale / max(n_rows, 1)


def cell_font(texts: np.ndarray, cell_w: float, cell_h: float) -> float | None:
    """Largest font (points) in which every text fits its cell, or None below CELL_FONT[1].

    Examples
    --------
    >>> cell_font(np.array([["12", "1.2k"]]), 30.0, 20.0)
    8.0
    >>> cell_font(np.array([["12", "1.2k"]]), 8.0, 20.0) is None
    True
    """
    longest = max((len(str(t)) for t in texts.ravel()), default=0)
    if longest == 0:
        return CELL_FONT[0]
    # a digit is about 0.6 em wide, a line about 1.2 em tall; keep a margin in the cell
    size = min(CELL_FONT[0], 0.8 * cell_w / (0.62 * longest), 0.75 * cell_h / 1.2)
    return round(size, 1) if size >= CELL_FONT[1] else None


def _fit_ticks(axis: Any, spacing: float) -> None:
    """Tick labels of ``axis`` in a font that fits ``spacing`` points, thinned if needed."""
    # a label's box is about 1.2 em tall (across the axis); keep 20% free between two
    size = min(TICK_FONT[0], spacing / 1.45)
    step = 1
    if size < TICK_FONT[1]:
        step = math.ceil(TICK_FONT[1] * 1.45 / spacing)
        size = TICK_FONT[1]
    for position, label in enumerate(axis.get_ticklabels()):
        label.set_fontsize(size)
        label.set_visible(position % step == 0)


def fit_row_labels(fig: Figure, ax: Axes, n_rows: int, texts: Sequence[Any] = ()) -> None:
    """Size the y tick labels of ``ax`` (and ``texts`` written on its rows) to one row each."""
    fig.draw_without_rendering()
    _, row = cell_points(ax, n_rows, 1)
    _fit_ticks(ax.yaxis, row)
    size = ax.get_yticklabels()[0].get_fontsize() if n_rows else TICK_FONT[0]
    for text in texts:
        text.set_fontsize(min(size, TICK_FONT[0] - 0.5))
