"""Progress bars for long loops, shown where someone watches and quiet elsewhere.

One helper serves the library (``fit``, ``log_fit``, exports, ``save_all``) and the
command line. A ``progress`` argument is one of

* ``None`` (the default): a bar when the session is interactive, i.e. a Jupyter
  notebook (a widget, as ``tqdm.auto`` draws, when ``ipywidgets`` is installed; tqdm's
  text bar otherwise) or a terminal; nothing when standard error is a file or a pipe
  (batch jobs, logs, CI);
* ``True`` / ``False``: always / never draw a bar;
* a callable: called instead of a bar (with each item's name, or each batch's size), so
  a caller can draw its own.

The environment variable ``METASEG_PROGRESS`` changes what ``None`` means for a whole
process: ``0``/``off``/``false`` never draws a bar (e.g. notebooks executed to be saved
with their outputs), ``1``/``on``/``true`` always does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from metaseg.exceptions import ConfigError

__all__ = [
    "Progress",
    "check_progress",
    "counter",
    "in_notebook",
    "progress_bar",
    "stage",
    "steps",
    "track",
]

#: What a ``progress`` argument may be (see the module docstring).
Progress = bool | None | Callable[..., Any]

T = TypeVar("T")


def check_progress(owner: str, progress: Any) -> Progress:
    """Return ``progress`` if it is None, a bool or a callable, else a ConfigError.

    Examples
    --------
    >>> check_progress("fit", None) is None
    True
    >>> check_progress("fit", "yes")
    Traceback (most recent call last):
    ...
    metaseg.exceptions.ConfigError: fit: progress must be None (a bar when interactive), True, False or a callable, got str: 'yes'.
    """
    if progress is None or isinstance(progress, bool) or callable(progress):
        return progress
    raise ConfigError(
        f"{owner}: progress must be None (a bar when interactive), True, False or a "
        f"callable, got {type(progress).__name__}: {progress!r}."
    )


def progress_bar(
    *, total: int | None = None, desc: str = "", progress: bool | None = None, **options: Any
) -> Any:
    """A tqdm bar on standard error; with ``progress=None`` shown only where someone watches.

    In a Jupyter notebook the bar is tqdm's widget when ``ipywidgets`` is installed and
    its text bar otherwise (tqdm.auto would warn and show nothing there); elsewhere it
    is the text bar, shown on a terminal only. ``options`` go to tqdm (``unit``,
    ``bar_format``, ...); the bar is left off the screen once closed unless
    ``leave=True`` is passed.

    Examples
    --------
    >>> import io
    >>> bar = progress_bar(total=2, desc="scoring", file=io.StringIO())
    >>> bar.disable  # a StringIO is not a terminal
    True
    >>> bar.close()
    """
    options.setdefault("file", sys.stderr)
    options.setdefault("leave", False)
    notebook = in_notebook()
    progress = _from_environment() if progress is None else progress
    # None is tqdm's own "only on a terminal"; a notebook's stream is no terminal
    auto = False if notebook else None
    disable = auto if progress is None else not progress
    return _bar_class(notebook)(total=total, desc=desc, disable=disable, **options)


#: Values of ``METASEG_PROGRESS`` and what ``progress=None`` then means.
_ENVIRONMENT_CHOICES = {
    "0": False,
    "off": False,
    "false": False,
    "1": True,
    "on": True,
    "true": True,
}


def _from_environment() -> bool | None:
    """``METASEG_PROGRESS`` as a choice (None when unset or empty), or a ConfigError."""
    value = os.environ.get("METASEG_PROGRESS", "").strip().lower()
    if not value:
        return None
    if value not in _ENVIRONMENT_CHOICES:
        raise ConfigError(
            f"METASEG_PROGRESS must be one of {sorted(_ENVIRONMENT_CHOICES)} (or unset), got "
            f"{value!r}; unset it to show bars only where someone watches."
        )
    return _ENVIRONMENT_CHOICES[value]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (notebook, JupyterLab, VS Code), not a plain console.

    Examples
    --------
    >>> in_notebook()
    False
    """
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    try:
        current = shell.get_ipython()
    except AttributeError:
        return False
    return type(current).__name__ == "ZMQInteractiveShell"


def _bar_class(notebook: bool) -> Any:
    if notebook:
        try:
            import ipywidgets  # noqa: F401  (the widget bar needs it)
            from tqdm.notebook import tqdm as widget_bar

            return widget_bar
        except ImportError:
            pass
    from tqdm.std import tqdm as text_bar

    return text_bar


def track(
    items: Iterable[T],
    desc: str,
    progress: Progress = None,
    *,
    owner: str = "",
    name: Callable[[T], str] = str,
) -> Iterator[T]:
    """Yield ``items``, showing the current one's ``name`` on a bar (or passing it to ``progress``).

    Examples
    --------
    >>> seen = []
    >>> list(track(["a", "b"], "fitting", seen.append))
    ['a', 'b']
    >>> seen
    ['a', 'b']
    """
    progress = check_progress(owner or desc, progress)
    items = list(items)
    if callable(progress):
        return _called(items, progress, name)
    return _barred(items, desc, progress, name)


def _called(items: list[T], progress: Callable[..., Any], name: Callable[[T], str]) -> Iterator[T]:
    for item in items:
        progress(name(item))
        yield item


def _barred(
    items: list[T], desc: str, progress: bool | None, name: Callable[[T], str]
) -> Iterator[T]:
    with progress_bar(total=len(items), desc=desc, progress=progress) as bar:
        for item in items:
            bar.set_postfix_str(name(item), refresh=False)
            yield item
            bar.update(1)


@contextmanager
def counter(
    progress: Progress, *, total: int | None, desc: str, owner: str = "", unit: str = "it"
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``: ``progress`` itself when it is a callable, else a bar's update.

    Examples
    --------
    >>> done = []
    >>> with counter(done.append, total=3, desc="sending") as advance:
    ...     advance(2)
    >>> done
    [2]
    """
    progress = check_progress(owner or desc, progress)
    if callable(progress):
        yield progress
        return
    with progress_bar(total=total, desc=desc, progress=progress, unit=unit) as bar:
        yield bar.update


@contextmanager
def steps(
    progress: Progress, total: int, desc: str, *, owner: str = ""
) -> Iterator[Callable[[str], None]]:
    """Yield ``step(label)``, to call as each of ``total`` steps begins.

    The bar shows the step under way; a callable ``progress`` gets each label instead.

    Examples
    --------
    >>> begun = []
    >>> with steps(begun.append, 2, "logging") as step:
    ...     step("saving")
    ...     step("uploading")
    >>> begun
    ['saving', 'uploading']
    """
    progress = check_progress(owner or desc, progress)
    if callable(progress):
        yield progress
        return
    with progress_bar(total=total, desc=desc, progress=progress) as bar:
        begun = []

        def step(label: str) -> None:
            if begun:
                bar.update(1)
            begun.append(label)
            bar.set_postfix_str(label)

        yield step
        if begun:
            bar.update(1)


@contextmanager
def stage(
    label: str, progress: bool | None = None, **options: Any
) -> Iterator[Callable[[str], None]]:
    """A bar around one long step of a job; yields ``advance(name)``, called as it moves on.

    The bar's text is ``label`` and the name of the last item done (a base segment, a
    batch); ``options`` go to :func:`progress_bar`.

    Examples
    --------
    >>> with stage("sub-segmenting", progress=False) as advance:
    ...     advance("active")
    """
    options.setdefault("bar_format", "{desc}: {n_fmt} [{elapsed}]")
    with progress_bar(desc=label, progress=progress, **options) as bar:

        def advance(name: str) -> None:
            bar.set_description_str(f"{label} {name}", refresh=False)
            bar.update(1)

        yield advance
