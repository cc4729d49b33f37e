"""Choosing the sink from a path or URI, and showing targets without secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from metaseg.exceptions import ConfigError
from metaseg.export.uri import DEFAULT_TABLE, parse_target, redact_url


@pytest.mark.parametrize(
    ("to", "fmt"),
    [("out/labels.csv", "csv"), ("labels.PARQUET", "parquet"), (Path("a/b.parquet"), "parquet")],
)
def test_paths_pick_the_file_format_from_the_suffix(to, fmt):
    target = parse_target(to)
    assert (target.kind, target.file_format, target.path) == ("file", fmt, Path(to))


def test_file_uri_is_a_local_path():
    target = parse_target("file:///tmp/some%20dir/labels.csv")
    assert target.path == Path("/tmp/some dir/labels.csv")
    with pytest.raises(ConfigError, match="must be local"):
        parse_target("file://fileserver/share/labels.csv")


def test_unknown_suffix_and_scheme_are_config_errors():
    with pytest.raises(ConfigError, match=r"'\.xlsx'.*\.csv or \.parquet"):
        parse_target("labels.xlsx")
    with pytest.raises(ConfigError, match="'ftp' is not supported"):
        parse_target("ftp://host/labels.csv")
    with pytest.raises(ConfigError, match="'mysql' is not supported"):
        parse_target("mysql://u@h/db")


def test_sql_urls_take_the_table_from_the_query():
    target = parse_target("sqlite:///crm/labels.db?table=segment_labels")
    assert (target.kind, target.table) == ("sql", "segment_labels")
    assert target.engine_url == "sqlite:///crm/labels.db"
    assert parse_target("sqlite:///labels.db").table == DEFAULT_TABLE


def test_plain_postgresql_uses_psycopg3_and_hides_the_password():
    target = parse_target("postgresql://bob:s3cr3t-pw@db.internal:5432/crm?sslmode=require")
    assert target.engine_url.startswith("postgresql+psycopg://bob:s3cr3t-pw@db.internal:5432/crm")
    assert "sslmode=require" in target.engine_url
    assert "s3cr3t-pw" not in target.display
    assert "s3cr3t-pw" not in repr(target)
    assert parse_target("postgres://u@h/db").engine_url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize("table", ["1abc", "labels;drop table x", "a-b", "x" * 64, ""])
def test_table_names_must_be_plain_identifiers(table):
    with pytest.raises(ConfigError, match="identifier"):
        parse_target(f"sqlite:///labels.db?table={table}")


def test_in_memory_sqlite_is_refused():
    with pytest.raises(ConfigError, match="in-memory"):
        parse_target("sqlite://")


def test_webhooks_need_https_except_on_localhost():
    assert parse_target("https://crm.example.com/hook").kind == "webhook"
    for local in ("http://localhost:8080/h", "http://127.0.0.1/h", "http://[::1]:9/h"):
        assert parse_target(local).kind == "webhook"
    with pytest.raises(ConfigError, match="not encrypted.*https://"):
        parse_target("http://crm.example.com/hook")
    with pytest.raises(ConfigError, match="not encrypted"):
        parse_target("http://127.0.0.1.evil.example/hook")


def test_webhook_display_hides_path_and_query_tokens():
    url = "https://hooks.example.com/services/T00/B00/XXXXSECRETXXXX?token=abc123"
    target = parse_target(url)
    assert "XXXXSECRETXXXX" not in target.display and "abc123" not in target.display
    assert "XXXXSECRETXXXX" not in repr(target)
    assert target.display.startswith("https://hooks.example.com/")
    assert target.url == url
    assert parse_target(url + "&x=1").display != target.display  # a fingerprint tells them apart


def test_redact_url_hides_passwords_and_secret_query_values():
    shown = redact_url("https://u:pw@h/p?api_key=k1&page=2&access_token=t1")
    assert "pw" not in shown.split("@")[0].split(":", 2)[-1]
    assert "k1" not in shown and "t1" not in shown and "page=2" in shown


@pytest.mark.parametrize(
    ("query", "option", "value"),
    [
        ("table=t&uri=true&mode=ro", "uri", "true"),
        ("mode=memory", "mode", "memory"),
        ("table=t&vfs=unix-dotfile", "vfs", "unix-dotfile"),
        ("table=t&cache=shared", "cache", "shared"),
        ("tabel=t", "tabel", "t"),
    ],
)
def test_sqlite_options_other_than_table_are_refused(query, option, value):
    with pytest.raises(ConfigError) as caught:
        parse_target(f"sqlite:///labels.db?{query}")
    message = str(caught.value)
    assert f"unknown option {option!r} (value {value!r})" in message
    assert "knows only ['table']" in message
    assert "Fix: remove" in message


def test_a_misspelt_option_gets_a_suggestion():
    with pytest.raises(ConfigError, match="Did you mean 'table'"):
        parse_target("sqlite:///labels.db?tabel=t")


def test_postgresql_takes_connection_settings_but_not_options_that_move_the_labels():
    target = parse_target("postgresql://u@db/crm?table=t&sslmode=require&connect_timeout=5")
    assert target.table == "t"
    assert "connect_timeout=5" in target.engine_url
    for query in ("options=-csearch_path%3Dother", "dbname=other", "service=other"):
        with pytest.raises(ConfigError, match="unknown option.*'sslmode'"):
            parse_target(f"postgresql://u@db/crm?{query}")


def test_a_secret_looking_unknown_option_is_not_shown():
    with pytest.raises(ConfigError) as caught:
        parse_target("postgresql://u@db/crm?api_key=hunter2")
    assert "hunter2" not in str(caught.value)
    assert "'api_key' (value '***')" in str(caught.value)


def test_an_option_given_twice_is_refused():
    with pytest.raises(ConfigError, match="option 'table' more than once"):
        parse_target("sqlite:///labels.db?table=a&table=b")


def test_file_uris_take_no_query_or_fragment():
    with pytest.raises(ConfigError, match=r"'\?table=t' after the path.*no options"):
        parse_target("file:///tmp/labels.csv?table=t")
    with pytest.raises(ConfigError, match="'#x' after the path"):
        parse_target("file:///tmp/labels.csv#x")


def test_sqlite_display_keeps_the_absolute_path():
    assert parse_target("sqlite:////tmp/labels.db?table=t").display == (
        "sqlite:////tmp/labels.db table t"
    )
    assert redact_url("sqlite:///labels.db?table=t") == "sqlite:///labels.db?table=t"
