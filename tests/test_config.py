"""The job configuration: every shipped config validates; mistakes name their YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from metaseg._yaml import load_yaml
from metaseg.config import MetasegConfig, load_config
from metaseg.exceptions import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", ["shop.yaml", "online_retail.yaml", "online_retail_needs.yaml"])
def test_shipped_job_configs_validate(name):
    config = load_config(CONFIGS / name)
    assert isinstance(config, MetasegConfig)
    assert config.segmentation.random_state == 0


def test_defaults_are_the_embedded_synthetic_shop():
    config = load_config({})
    assert config.data.source == "synthetic"
    assert config.segmentation.rules == "lifecycle"
    assert config.segmentation.default.algorithm == "gmm"
    assert config.tracking.tracking_uri is None


def test_a_wrong_setting_is_reported_with_its_yaml_path():
    text = """
segmentation:
  segments:
    active:
      algorithm: kmeans
      params: {k_maxx: 5}
"""
    with pytest.raises(ConfigError, match=r"segmentation\.segments\.active\.params.*k_maxx"):
        load_config(text)


def test_unknown_algorithm_and_unknown_section_are_reported():
    with pytest.raises(ConfigError, match=r"segmentation\.default\.algorithm"):
        load_config({"segmentation": {"default": {"algorithm": "dbscan"}}})
    with pytest.raises(ConfigError, match=r"segmentaton"):
        load_config({"segmentaton": {}})


def test_yaml_syntax_error_gives_file_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nsegmentation:\n  rules: [lifecycle\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml.*line \d+, column \d+"):
        load_config(path)


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_names_must_be_safe_identifiers():
    with pytest.raises(ConfigError, match=r"name"):
        load_config({"name": "drop table; --"})


def test_the_demo_config_shipped_in_the_package_equals_the_example() -> None:
    from metaseg._paths import PRESETS_DIR

    assert load_yaml(PRESETS_DIR / "shop.yaml") == load_yaml(CONFIGS / "shop.yaml")


def test_the_wheel_ships_the_presets_and_the_demo_config(tmp_path) -> None:
    """What a non-editable install gets: rule presets, the demo's config, py.typed."""
    import subprocess
    import sys
    import zipfile

    root = CONFIGS.parent
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("metaseg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("lifecycle", "rfm", "value_tiers", "demographic", "shop"):
        assert f"metaseg/presets/{name}.yaml" in names
    assert "metaseg/py.typed" in names
    assert not any(n.startswith(("configs/", "tests/", "experiments/")) for n in names)


def test_a_repeated_section_is_refused_with_both_lines(tmp_path):
    config = tmp_path / "twice.yaml"
    config.write_text(
        "segmentation:\n  n_bootstrap: 1\nas_of: 2024-01-01\nsegmentation:\n  n_bootstrap: 5\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"key 'segmentation' appears twice.*lines 1 and 4"):
        load_config(config)


def test_a_repeated_as_of_is_refused(tmp_path):
    config = tmp_path / "twice.yaml"
    config.write_text("as_of: 2024-01-01\nname: a\nas_of: 2025-01-01\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"key 'as_of' appears twice.*lines 1 and 3"):
        load_config(config)


def test_a_config_over_the_size_limit_is_refused_before_reading(tmp_path):
    config = tmp_path / "huge.yaml"
    config.write_text("name: a\n" + "# padding\n" * 120_000, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"1,200,008 bytes, more than the limit of 1,000,000"):
        load_config(config)


def test_a_config_nested_ten_thousand_levels_is_refused(tmp_path):
    config = tmp_path / "deep.yaml"
    config.write_text("gates: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(config)
    node: dict = {"a": 1}
    for _ in range(10_000):
        node = {"a": node}
    with pytest.raises(ConfigError, match=r"nested too deeply at gates\.a\.a"):
        load_config({"gates": node})


@pytest.mark.parametrize(
    ("windows", "shown"), [("[true]", r"True \(bool\)"), ("[7, 2.5]", r"2\.5")]
)
def test_windows_must_be_whole_numbers_not_booleans(windows, shown):
    with pytest.raises(ConfigError, match=rf"facts\.windows: .*got {shown}"):
        load_config(f"facts:\n  windows: {windows}\n")
    assert load_config("facts:\n  windows: [7, 30]\n").facts.windows == (7, 30)
