"""The job configuration: every shipped config validates; mistakes name their YAML path."""

from __future__ import annotations

from pathlib import Path

import pytest

from metaseg._yaml import load_yaml
from metaseg.config import MetasegConfig, load_config
from metaseg.exceptions import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


@pytest.mark.parametrize("name", ["shop.yaml", "online_retail.yaml"])
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
