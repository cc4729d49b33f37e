"""segmentation_text / segmentation_html: readable summaries of a fitted segmentation."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from metaseg import schema
from metaseg.display import segmentation_html, segmentation_text
from metaseg.exceptions import ConfigError
from metaseg.model import MetaSegmenter


@pytest.fixture(scope="module")
def model(shop_model):
    """The shared shop model (tests/conftest.py)."""
    return shop_model


@pytest.fixture(scope="module")
def odd_name(user_names):
    """The user name of dormant/1, full of characters HTML would interpret."""
    return user_names["dormant/1"]


class _Table(HTMLParser):
    """Collect the text of every cell, row by row, and the raw tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_text_lists_every_base_and_sub_segment_with_real_numbers(odd_name, model):
    text = segmentation_text(model)
    lines = text.splitlines()
    assert lines[0].startswith("MetaSegmenter, as of ")
    assert lines[1] == "3,000 customers in 7 base segments (6 split), 17 sub-segments"
    silhouette = model.overall_metrics_["silhouette"]
    assert lines[2].startswith(f"silhouette {silhouette:.2f} (size-weighted)")
    by_first = {line.split()[0]: line for line in lines[4:] if line.strip()}
    for base, m in model.metrics_.iterrows():
        line = by_first[base]
        assert f"{int(m['n_customers']):,}" in line and f"{100 * m['share']:.1f}%" in line
        if m["split"]:
            assert f"{m['silhouette']:.2f}" in line and f"{m['stability']:.2f}" in line
            assert f"  {int(m['k'])}  " in line
    assert "not split: 0 customers < min_segment_size=200" in by_first["other"]
    for s in model.summary_.itertuples(index=False):
        line = by_first[s.segment]
        assert line.startswith("  " + s.segment)
        assert line.endswith(s.segment_name)
        assert f"{s.size:,}" in line and f"{100 * s.share_of_base:.1f}%" in line
    assert odd_name in text


def test_text_is_a_fixed_width_table_in_priority_order(model):
    lines = segmentation_text(model).splitlines()
    header = lines[4]
    end = header.index("customers") + len("customers")
    rows = lines[6:]
    assert all(row[end - 1] != " " and row[end] == " " for row in rows)
    firsts = [row.split()[0] for row in rows]
    bases = [f for f in firsts if "/" not in f]
    assert bases == list(model.metrics_.index)
    # every sub-segment comes right after its base segment
    current = None
    for first in firsts:
        if "/" in first:
            assert first.split("/")[0] == current
        else:
            current = first


def test_html_escapes_names_and_has_one_row_per_segment(odd_name, model):
    page = segmentation_html(model)
    assert "&lt;b&gt;Big &amp; bold&lt;/b&gt; &quot;spenders&quot;" in page
    assert "<b>Big" not in page
    parser = _Table()
    parser.feed(page)
    assert set(parser.tags) <= {"div", "p", "br", "table", "thead", "tbody", "tr", "th", "td"}
    header, *body = parser.rows
    assert header[:3] == ["segment", "customers", "% of base"]
    assert len(body) == len(model.metrics_) + len(model.summary_)
    assert all(len(row) == len(header) for row in body)
    cells = {row[0].strip(): row for row in body}
    dormant = cells["dormant"]
    assert dormant[4] == "gmm" and dormant[5] == str(int(model.metrics_.loc["dormant", "k"]))
    assert dormant[6] == f"{model.metrics_.loc['dormant', 'silhouette']:.2f}"
    odd = cells["dormant/1"]
    assert odd[9] == odd_name  # unescaped back by the parser: the exact user name
    summary = model.summary_.set_index(schema.SEGMENT)
    assert odd[10] == summary.loc["dormant/1", "top_features"]
    assert odd[1] == f"{summary.loc['dormant/1', 'size']:,}"


def test_noise_and_missing_stability(density_model):
    text = segmentation_text(density_model)
    labels = density_model.labels_
    noise = int((labels[schema.SEGMENT] == "active/-1").sum())
    assert noise > 0
    noise_line = next(line for line in text.splitlines() if line.startswith("  active/-1"))
    assert f"{noise:,}" in noise_line and noise_line.endswith("active · unassigned")
    active = next(line for line in text.splitlines() if line.startswith("active "))
    share = density_model.metrics_.loc["active", "noise_share"]
    assert f"{100 * share:.1f}%" in active and "hdbscan" in active
    assert "stability min -" in text  # no bootstrap: shown as missing, not as 0
    assert "not split: algorithm is 'none'" in text


def test_unfitted_model_is_described_not_raised():
    model = MetaSegmenter()
    assert "not fitted" in segmentation_text(model)
    assert len(segmentation_text(model).splitlines()) == 1
    page = segmentation_html(model)
    assert page.startswith("<p>") and "not fitted" in page


def test_not_a_model_is_a_config_error():
    with pytest.raises(ConfigError, match=r"segmentation_text: model must be a"):
        segmentation_text({"segments": 3})
    with pytest.raises(ConfigError, match=r"segmentation_html: model must be a"):
        segmentation_html(None)


def test_printable_removes_escape_sequences_and_control_characters():
    from metaseg.display import printable

    evil = "\x1b[2J\x1b]0;pwned\x07\x1b[31mVIP\x1b[0m\r\nbuyers\x00\x9b1m"
    assert printable(evil) == "VIP  buyers"
    assert printable("Café <b> & $ 10%") == "Café <b> & $ 10%"


def test_text_strips_ansi_from_user_names(shop_facts):
    from metaseg.model import MetaSegmenter

    model = MetaSegmenter(
        default={"algorithm": "none"},
        n_bootstrap=0,
        names={"active/0": "\x1b[2J\x1b[31mRed\x1b[0m\tteam\x07"},
    ).fit(shop_facts)
    text = segmentation_text(model)
    assert "\x1b" not in text and "\x07" not in text and "\t" not in text
    assert "Red team" in text
