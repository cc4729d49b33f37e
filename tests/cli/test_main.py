"""The command line: help, exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from metaseg.cli import main


def test_help_lists_every_verb_without_importing_heavy_libraries():
    code = (
        "import sys; from metaseg.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('mlflow', 'sklearn', 'umap', 'hdbscan', 'matplotlib', 'pandas')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for verb in ("demo", "validate", "fit", "runs", "promote", "score", "export", "drift"):
        assert verb in out.stdout
    assert "HEAVY []" in out.stdout


def test_the_executable_returns_main_exit_code_and_freezes_what_is_left():
    code = (
        "import gc, sys\n"
        "from metaseg.cli.main import console\n"
        "sys.argv = ['metaseg', 'score', '--model', 'models:/', '--out', 'x.parquet']\n"
        "exit_code = console()\n"
        "print('CODE', exit_code, 'FROZEN', gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "CODE 2 FROZEN True" in done.stdout
    assert "metaseg score: error:" in done.stderr


def test_no_verb_prints_help_and_exits_with_usage_code(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_config_error_is_one_line_with_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("segmentation:\n  default:\n    algorithm: dbscan\n", encoding="utf-8")
    assert main(["validate", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "segmentation.default.algorithm" in err
    assert "Traceback" not in err


def test_data_error_exits_with_code_3(tmp_path, capsys):
    events = pd.DataFrame(
        {
            "customer_id": [1, 2],
            "timestamp": ["2025-01-01", "2025-01-02"],
            "event_type": ["purchase", "purchase"],
            "amount": ["12.5", "not a number"],
        }
    )
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    cfg = tmp_path / "files.yaml"
    cfg.write_text(f"data: {{source: files, events: {path}}}\n", encoding="utf-8")
    assert main(["validate", "--config", str(cfg)]) == 3
    err = capsys.readouterr().err
    assert "amount" in err and "not a number" in err


def test_validate_reports_data_and_rule_coverage(tmp_path, capsys):
    cfg = tmp_path / "small.yaml"
    cfg.write_text(
        "data: {source: synthetic, synthetic: {n_customers: 2000, seed: 1}}\n"
        "segmentation: {rules: lifecycle}\n",
        encoding="utf-8",
    )
    assert main(["validate", "--config", str(cfg), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2,000 customers" in out
    for segment in ("new", "hesitant", "active", "interested", "dormant", "churned"):
        assert segment in out
    assert f"ok: configuration {cfg} and its data are valid" in out


def test_validate_names_a_feature_that_is_not_a_fact(tmp_path, capsys):
    cfg = tmp_path / "typo.yaml"
    cfg.write_text(
        "data: {synthetic: {n_customers: 1000}}\n"
        "segmentation:\n  segments:\n    active:\n      features: {features: [frequncy]}\n",
        encoding="utf-8",
    )
    assert main(["validate", "--config", str(cfg)]) == 2
    captured = capsys.readouterr()
    assert "frequncy" in captured.err and "Did you mean 'frequency'" in captured.err
    # nothing claims the config is valid before the error
    assert "valid" not in captured.out and ": valid" not in captured.err


def test_debug_keeps_the_exit_code(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("segmentation: {default: {algorithm: dbscan}}\n", encoding="utf-8")
    assert main(["validate", "--config", str(bad), "--debug"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_a_config_that_is_not_utf8_is_a_config_error(tmp_path, capsys):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert main(["validate", "--config", str(bad)]) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_score_without_data_refuses_instead_of_inventing_customers(capsys):
    assert main(["score", "--model", "models:/shop@champion", "--out", "x.parquet"]) == 2
    assert "--events" in capsys.readouterr().err


def test_promote_gate_overrides_parse_numbers_and_none():
    from metaseg.cli.promote import parse_gates
    from metaseg.exceptions import ConfigError

    assert parse_gates(["max_noise_share=0.3", "min_silhouette=none"]) == {
        "max_noise_share": 0.3,
        "min_silhouette": None,
    }
    with pytest.raises(ConfigError, match="not a number"):
        parse_gates(["max_noise_share=high"])


def test_replaying_a_missing_dead_letter_file_is_a_usage_error(tmp_path, capsys):
    assert main(["export", "--replay", str(tmp_path / "nope.jsonl")]) == 2
    assert "no such dead-letter file" in capsys.readouterr().err


@pytest.mark.parametrize("as_of", ["0001-01-01", "2262-04-12"])
def test_validate_as_of_out_of_range_is_a_usage_error(tmp_path, as_of, capsys):
    config = tmp_path / "small.yaml"
    config.write_text(
        "data:\n  source: synthetic\n  synthetic: {n_customers: 300, seed: 1}\n", encoding="utf-8"
    )
    assert main(["validate", "--config", str(config), "--as-of", as_of, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"as_of {as_of!r} is outside" in err and "unexpected" not in err


def test_progress_lines_strip_terminal_control_sequences(capsys):
    import argparse

    from metaseg.cli._common import say

    say(argparse.Namespace(quiet=False), "model: \x1b[2J\x1b[31mshop\x1b[0m version 1\x07")
    err = capsys.readouterr().err
    assert err == "model: shop version 1\n"
