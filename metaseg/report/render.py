"""Rendering the segment report as one self-contained HTML page, and writing it.

The page is made from a Jinja2 template shipped in ``metaseg/report/templates`` with
autoescaping on, so every text that comes from the data (segment names, ids, features,
campaign names) is escaped; the charts are inline SVG drawn by the template from
numbers. The page loads nothing: no script, no font, no stylesheet, no image from
elsewhere, and its Content-Security-Policy forbids it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Final

from metaseg._io import atomic_write_bytes
from metaseg.exceptions import ConfigError
from metaseg.report.content import STABLE_AT, ReportContent, report_content

#: The template of the page.
TEMPLATE: Final = "segment_report.html.j2"
#: Colours of the sub-segments in a base segment's composition bar (colour-blind safe).
PALETTE: Final = (
    "#4477aa",
    "#66ccee",
    "#228833",
    "#ccbb44",
    "#ee6677",
    "#aa3377",
    "#bbbbbb",
    "#332288",
    "#117733",
    "#999933",
)
MISSING: Final = "–"


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _pct(value: Any) -> str:
    number = _finite(value)
    if number is None:
        return MISSING
    return f"{number:.1%}" if abs(number) < 0.1 and number != 0 else f"{number:.0%}"


def _num(value: Any, digits: int = 2) -> str:
    number = _finite(value)
    return MISSING if number is None else f"{number:,.{digits}f}"


def _signed(value: Any) -> str:
    number = _finite(value)
    return MISSING if number is None else f"{number:+.2f}"


def _count(value: Any) -> str:
    number = _finite(value)
    return MISSING if number is None else f"{int(number):,}"


def _clip01(value: Any) -> float:
    number = _finite(value)
    return 0.0 if number is None else min(max(number, 0.0), 1.0)


def _clipabs(value: Any, limit: float) -> float:
    number = _finite(value)
    return 0.0 if number is None else min(max(number, -limit), limit)


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("metaseg.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pct=_pct, num=_num, signed=_signed, count_=_count, clip01=_clip01, clipabs=_clipabs
    )
    return env


def render_html(content: ReportContent) -> str:
    """Lay out a :class:`~metaseg.report.content.ReportContent` as an HTML page.

    Examples
    --------
    >>> from metaseg.report.content import ReportContent
    >>> page = render_html(ReportContent(
    ...     title="<b>Shop</b>", n_customers=0, n_base_segments=0, n_sub_segments=0,
    ...     as_of="", model="", overall={}, sections=(), previous=None,
    ...     migration_note="", has_campaigns=False))
    >>> "<title>&lt;b&gt;Shop&lt;/b&gt;</title>" in page
    True
    """
    import metaseg

    template = _environment().get_template(TEMPLATE)
    return template.render(
        c=content, version=metaseg.__version__, palette=PALETTE, stable_at=STABLE_AT
    )


def render_report(model: Any, **options: Any) -> str:
    """The report page of a fitted segmentation as a string.

    ``options`` are those of :func:`~metaseg.report.content.report_content`
    (``title``, ``previous``, ``previous_name``, ``campaigns``, ``n_examples``,
    ``model_label``, ``random_state``).
    """
    return render_html(report_content(model, **options))


def write_report(model: Any, path: str | Path, **options: Any) -> Path:
    """Write the report page of a fitted segmentation to ``path`` (atomically).

    Parameters
    ----------
    model : MetaSegmenter
        A fitted segmentation.
    path : str or Path
        The HTML file to write (``.html``); its folder is created.
    **options
        See :func:`~metaseg.report.content.report_content`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        If ``path`` is an existing folder or does not end in ``.html``/``.htm``.

    Examples
    --------
    >>> write_report(model, "segments.html", previous=champion.labels_)  # doctest: +SKIP
    PosixPath('segments.html')
    """
    target = Path(path)
    if target.is_dir():
        raise ConfigError(
            f"report path {str(target)!r} is a folder; give a file name such as "
            f"{str(target / 'segment_report.html')!r}."
        )
    if target.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(
            f"report path {str(target)!r} must end in .html (the report is one HTML page)."
        )
    page = render_report(model, **options)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, page.encode("utf-8"))
    return target
