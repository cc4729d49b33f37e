"""The segment report: one self-contained HTML page about a fitted segmentation.

For every base segment and sub-segment it shows the size and share, the name and the
numbers behind it, the profile against the parent, example customers, the bootstrap
stability, and, when given, the migration since the previous (champion) labels and
campaign results. The page loads nothing from the network and escapes every text.

- :func:`report_content` gathers what the page shows (pure);
- :func:`render_report` returns the page as a string;
- :func:`write_report` writes it atomically (``MetaSegmenter.report`` calls it).

Examples
--------
>>> from metaseg.report import write_report
>>> write_report(model, "segments.html")  # doctest: +SKIP
"""

from metaseg.report.content import ReportContent, report_content
from metaseg.report.render import render_html, render_report, write_report

__all__ = ["ReportContent", "render_html", "render_report", "report_content", "write_report"]
