"""Figure, text and colour helpers shared by the plots.

A new figure is opened through ``pyplot`` (so it shows in notebooks and with
``plt.show()``, and works headless with Agg), then drawn on with the object-oriented
API only; ``plt.show`` is never called. Close figures you are done with
(``plt.close(fig)``); :func:`metaseg.plots.save_all` closes its own. Text from users
(segment names) is drawn with ``parse_math=False`` so a ``$`` in a name is shown as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from metaseg.exceptions import ConfigError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Colour of the noise sub-segment (-1) in every plot.
NOISE_COLOUR = "#9e9e9e"
#: Colours of base segments and sub-segments (its grey is left out: grey means noise).
PALETTE = "tab10"


def new_axes(owner: str, ax: Any, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """Return ``(figure, axes)``: ``ax`` and its figure, or a new figure with one axes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = new_axes("plot_stability", None, (4.0, 3.0))
    >>> fig.get_size_inches().tolist()
    [4.0, 3.0]
    >>> plt.close(fig)
    """
    from matplotlib.axes import Axes

    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize, layout="constrained")
        return fig, fig.add_subplot()
    if not isinstance(ax, Axes):
        raise ConfigError(
            f"{owner}: ax must be a matplotlib Axes (or None for a new figure), got "
            f"{type(ax).__name__}: {ax!r}."
        )
    try:
        return ax.get_figure(root=True), ax
    except TypeError:  # matplotlib < 3.10 has no subfigure-aware root lookup
        return ax.figure, ax


def text_width(labels: Sequence[str], fontsize: float = 10.0) -> float:
    """Rough width in inches of the longest of ``labels`` at ``fontsize`` points.

    Examples
    --------
    >>> round(text_width(["a" * 20]), 2)
    1.2
    """
    longest = max((len(str(label)) for label in labels), default=0)
    return 0.6 * fontsize / 100.0 * longest


def qualitative_colours(n: int) -> list[tuple[float, float, float]]:
    """Return ``n`` distinct colours, none of them grey (grey is noise), cycled past 18.

    The first nine are :data:`PALETTE`'s strong colours, the next nine their light
    variants from ``tab20``.

    Examples
    --------
    >>> colours = qualitative_colours(12)
    >>> len(colours), len(set(colours))
    (12, 12)
    """
    from matplotlib import colormaps

    strong = colormaps[PALETTE]
    light = colormaps["tab20"]
    greys = {7}  # tab10's grey, and tab20's pair 14/15
    pool = [tuple(strong(i)[:3]) for i in range(10) if i not in greys]
    pool += [tuple(light(2 * i + 1)[:3]) for i in range(10) if i not in greys]
    return [pool[i % len(pool)] for i in range(n)]  # type: ignore[misc]


def shade(colour: Sequence[float], position: int, count: int) -> tuple[float, float, float]:
    """Return ``colour`` lightened for the ``position``-th of ``count`` shades (0 is darkest).

    Examples
    --------
    >>> shade((0.0, 0.0, 0.0), 0, 3)
    (0.0, 0.0, 0.0)
    """
    if count <= 1 or position <= 0:
        return (float(colour[0]), float(colour[1]), float(colour[2]))
    mix = 0.65 * position / (count - 1)
    return tuple(float(c + (1.0 - c) * mix) for c in colour[:3])  # type: ignore[return-value]


def ink_for(rgba: Sequence[float]) -> str:
    """Return ``"black"`` or ``"white"``, whichever reads better on ``rgba``.

    Examples
    --------
    >>> ink_for((0.0, 0.0, 0.0, 1.0)), ink_for((1.0, 1.0, 1.0, 1.0))
    ('white', 'black')
    """
    luminance = 0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2]
    return "black" if luminance > 0.55 else "white"


def plain_text(ax: Axes) -> None:
    """Turn math parsing off on the title, axis labels, tick labels and legend of ``ax``.

    Call it last: tick labels set with fixed positions keep the setting.
    """
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label]
    texts += list(ax.get_xticklabels()) + list(ax.get_yticklabels())
    legend = ax.get_legend()
    if legend is not None:
        texts += list(legend.get_texts())
        texts.append(legend.get_title())
    for text in texts:
        text.set_parse_math(False)
