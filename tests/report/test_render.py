"""The segment report page opened in real headless Chromium: it renders without a console
message or a request outside the file, shows every segment, and escapes hostile text."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from metaseg import schema
from metaseg.exceptions import ConfigError
from metaseg.model import MetaSegmenter
from metaseg.report import render_report, write_report
from tests.report.conftest import parse_dom

HOSTILE_NAMES = {
    "active/0": "<script>document.title='pwned'</script>",
    "dormant/1": '"><img src=x onerror="document.title=\'pwned\'">',
}
HOSTILE_ID = "<script>document.title='pwned'</script>"


@pytest.fixture(scope="module")
def previous_labels(shop_facts):
    """Labels of another fit of the same customers (the 'champion')."""
    model = MetaSegmenter(
        n_bootstrap=0, default={"algorithm": "kmeans", "params": {"k_min": 2, "k_max": 3}}
    ).fit(shop_facts)
    return model.labels_


@pytest.fixture(scope="module")
def campaigns(shop_model):
    from metaseg.over_time import campaign_report

    labels = shop_model.labels_
    rng = np.random.default_rng(0)
    outcomes = pd.DataFrame(
        {
            "customer_id": labels["customer_id"],
            "campaign": "spring <sale> & more",
            "sent_at": "2025-12-01",
            "converted": rng.random(len(labels)) < 0.2,
        }
    )
    return campaign_report(labels, outcomes, min_sends=30)


@pytest.fixture(scope="module")
def page(shop_model, previous_labels, campaigns, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "segments.html"
    return write_report(
        shop_model, path, previous=previous_labels, campaigns=campaigns, title="Shop & <co>"
    )


def _distinct_colours(png: bytes) -> int:
    from matplotlib.image import imread

    pixels = imread(io.BytesIO(png), format="png")
    flat = (pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    return len(np.unique(flat, axis=0))


def test_the_page_renders_in_chromium_without_console_messages_or_requests(page, chromium):
    rendered = chromium.render(page)
    assert rendered.console == []
    assert rendered.outside_requests == []
    assert "<title>Shop &amp; &lt;co&gt;</title>" in rendered.dom


def test_the_checks_catch_a_page_that_logs_or_fetches(chromium, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><body><img src="https://cdn.example.com/a.png">'
        '<script>console.error("boom"); missing();</script></body></html>',
        encoding="utf-8",
    )
    rendered = chromium.render(bad)
    assert any("boom" in line for line in rendered.console)
    assert any("missing is not defined" in line for line in rendered.console)
    assert rendered.outside_requests == ["https://cdn.example.com/a.png"]


def test_every_segment_and_sub_segment_appears_in_the_rendered_dom(page, chromium, shop_model):
    dom = parse_dom(chromium.render(page).dom)
    bases = set(dom.attribute_values("data-base-segment"))
    assert bases == set(shop_model.metrics_.index)
    codes = dom.attribute_values("data-segment")
    assert sorted(codes) == sorted(shop_model.summary_["segment"])
    text = " ".join(dom.text)
    for name in shop_model.summary_["segment_name"]:
        assert name in text  # user names with < & $ " shown as typed
    for code, size in zip(shop_model.summary_["segment"], shop_model.summary_["size"], strict=True):
        assert f"{size:,} customers" in text, code


def test_the_page_shows_evidence_profile_examples_stability_migration_and_campaigns(
    page, chromium, shop_model
):
    text = " ".join(parse_dom(chromium.render(page).dom).text)
    for heading in (
        "Why this name",
        "Profile against",
        "Example customers",
        "Stability",
        "Migration since the champion",
        "Campaign results",
    ):
        assert heading in text
    assert "spring <sale> & more" in text
    assert "in the name" in text
    some_id = str(shop_model.labels_["customer_id"].iloc[0])
    assert text.count(" ") > 1000 and some_id  # a full page, not a stub


def test_the_screenshot_is_a_real_image(page, chromium, tmp_path):
    shot = chromium.screenshot(page, tmp_path / "report.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert _distinct_colours(data) > 50, "the screenshot is (almost) blank"


def test_the_page_embeds_everything_and_references_nothing_outside(page):
    dom = parse_dom(page.read_text(encoding="utf-8"))
    for attribute in ("src", "href", "srcset", "action", "poster"):
        for value in dom.attribute_values(attribute):
            assert value.startswith(("#", "data:")), (attribute, value)
    assert dom.tags("script") == [] and dom.tags("link") == []
    assert "@import" not in page.read_text(encoding="utf-8")
    assert len(dom.tags("svg")) > 10  # charts are inline SVG


def test_hostile_names_and_ids_are_escaped(shop_facts, chromium, tmp_path):
    facts = shop_facts.assign(customer_id=[f"{HOSTILE_ID}{i}" for i in range(len(shop_facts))])
    model = MetaSegmenter(
        n_bootstrap=0,
        default={"algorithm": "kmeans", "params": {"k_min": 2, "k_max": 3}},
        names=HOSTILE_NAMES,
    ).fit(facts)
    page = write_report(model, tmp_path / "hostile.html", n_examples=50, title=HOSTILE_ID)
    source = page.read_text(encoding="utf-8")
    assert "<script" not in source and "<img" not in source
    assert "&lt;script&gt;" in source
    rendered = chromium.render(page)
    assert rendered.console == []
    dom = parse_dom(rendered.dom)
    assert dom.tags("script") == [] and dom.tags("img") == []
    text = " ".join(dom.text)
    for name in HOSTILE_NAMES.values():
        assert name in text  # shown as typed
    assert f"{HOSTILE_ID}" in text
    assert "<title>pwned</title>" not in rendered.dom


def test_the_report_is_deterministic_and_model_report_writes_it(shop_model, tmp_path):
    first = render_report(shop_model)
    assert first == render_report(shop_model)
    path = shop_model.report(tmp_path / "out" / "page.html")
    assert path.read_text(encoding="utf-8") == first


@pytest.mark.parametrize("name", ["page.txt", "folder"])
def test_a_bad_path_is_refused_with_the_fix(shop_model, tmp_path, name):
    target = tmp_path / name
    if name == "folder":
        target.mkdir()
    with pytest.raises(ConfigError, match=r"\.html"):
        write_report(shop_model, target)


def test_an_unfitted_model_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MetaSegmenter().report("x.html")
    with pytest.raises(ConfigError, match="fitted metaseg MetaSegmenter"):
        render_report(object())


def test_sizes_in_the_page_add_up_to_the_customers(shop_model):
    content_sizes = shop_model.summary_["size"].sum()
    assert content_sizes == len(shop_model.labels_)
    assert (shop_model.labels_[schema.SEGMENT].value_counts().sort_index() > 0).all()
