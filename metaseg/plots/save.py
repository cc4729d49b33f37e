"""Render every plot of a fitted model to PNG files (the run's artifacts)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from metaseg._progress import track
from metaseg.plots._model import check_model, split_segments

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

#: Resolution of the saved PNG files.
DPI = 110
#: Sample sizes of the facts-based plots in :func:`save_all`.
MAP_SAMPLE_SIZE = 5_000
SILHOUETTE_SAMPLE_SIZE = 3_000


def save_all(
    model: Any,
    folder: str | Path,
    *,
    facts: pd.DataFrame | None = None,
    progress: bool | Callable[[str], None] | None = None,
) -> list[Path]:
    """Save every plot of ``model`` as a PNG file in ``folder`` and return the paths.

    Always: ``segment_sizes.png``, ``profile_heatmap.png``, ``stability.png`` and one
    ``k_selection_<base>.png`` per base segment split by k-means. With ``facts``, also
    ``segment_map_<base>.png`` (PCA) and ``silhouette_<base>.png`` per split base
    segment (seeded samples, ``random_state`` of the model). File names keep letters,
    digits, ``-``, ``_`` and ``.`` of the base segment name (other characters become
    ``_``, and a clash gets a number). Each file is written atomically; an existing file
    of the same name is replaced. Each figure is closed once written, so nothing is left
    open in ``pyplot``.

    Parameters
    ----------
    model : MetaSegmenter
        A fitted model.
    folder : str or Path
        Created (with its parents) when missing.
    facts : DataFrame, optional
        One row per customer; enables the map and silhouette plots.
    progress : bool or callable, optional
        A bar over the plots: None (default) in notebooks and terminals only, True /
        False always / never; a callable gets each file's stem instead.

    Returns
    -------
    list of Path
        The files written, in the order above.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the model is not fitted.
    DataError
        If ``facts`` is given but holds no customer of a split base segment (pass the fit
        facts, or leave ``facts`` out).

    Examples
    --------
    >>> import tempfile
    >>> from metaseg.datasets import make_shop
    >>> from metaseg.facts import compute_facts
    >>> from metaseg.model import MetaSegmenter
    >>> customers, events, _ = make_shop(n_customers=1_000, seed=0)
    >>> model = MetaSegmenter(n_bootstrap=0).fit(compute_facts(events, customers))
    >>> paths = save_all(model, tempfile.mkdtemp())
    >>> paths[0].name
    'segment_sizes.png'
    """
    from metaseg.plots.kselection import k_selection_segments, plot_k_selection
    from metaseg.plots.profiles import plot_profile_heatmap
    from metaseg.plots.sizes import plot_segment_sizes
    from metaseg.plots.stability import plot_stability

    check_model("save_all", model)
    jobs: list[tuple[str, Callable[[], Figure]]] = [
        ("segment_sizes", lambda: plot_segment_sizes(model)),
        ("profile_heatmap", lambda: plot_profile_heatmap(model)),
        ("stability", lambda: plot_stability(model)),
    ]
    stems = _stems(list(model.segments_))
    for base in k_selection_segments(model):
        jobs.append((f"k_selection_{stems[base]}", partial(plot_k_selection, model, base)))
    if facts is not None:
        jobs.extend(_facts_jobs(model, facts, stems))
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    return [
        _write(builder(), target / f"{stem}.png")
        for stem, builder in track(
            jobs, "drawing plots", progress, owner="save_all", name=lambda job: job[0]
        )
    ]


def _facts_jobs(
    model: Any, facts: pd.DataFrame, stems: dict[str, str]
) -> list[tuple[str, Callable[[], Figure]]]:
    """Map and silhouette jobs; the base segments of ``facts`` are computed once."""
    from metaseg.plots._sample import base_segment_of, check_facts

    check_facts("save_all", facts)
    seed = getattr(getattr(model, "spec_", None), "random_state", 0)
    base = base_segment_of(model, facts)
    jobs: list[tuple[str, Callable[[], Figure]]] = []
    for name in split_segments(model):
        stem = stems[name]
        jobs.append((f"segment_map_{stem}", partial(_map, model, facts, name, base, seed)))
        jobs.append((f"silhouette_{stem}", partial(_silhouette, model, facts, name, base, seed)))
    return jobs


def _map(model: Any, facts: pd.DataFrame, name: str, base: Any, seed: int | None) -> Figure:
    from metaseg.plots._sample import draw_sample
    from metaseg.plots.maps import draw_map

    sample = draw_sample(
        "save_all", model, facts, name, sample_size=MAP_SAMPLE_SIZE, random_state=seed, base=base
    )
    return draw_map(model, sample, method="pca", random_state=seed)


def _silhouette(model: Any, facts: pd.DataFrame, name: str, base: Any, seed: int | None) -> Figure:
    from metaseg.plots._sample import draw_sample
    from metaseg.plots.silhouette import draw_silhouette

    sample = draw_sample(
        "save_all",
        model,
        facts,
        name,
        sample_size=SILHOUETTE_SAMPLE_SIZE,
        random_state=seed,
        base=base,
    )
    return draw_silhouette(model, sample)


def _stems(names: list[str]) -> dict[str, str]:
    """A distinct file-name-safe stem for every base segment name."""
    stems: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "segment"
        candidate, number = stem, 2
        while candidate.lower() in used:
            candidate, number = f"{stem}_{number}", number + 1
        used.add(candidate.lower())
        stems[name] = candidate
    return stems


def _write(fig: Figure, path: Path) -> Path:
    import matplotlib.pyplot as plt

    from metaseg._io import atomic_write_bytes

    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=DPI)
    finally:
        plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())
    return path
