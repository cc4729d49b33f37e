"""Delivering labels to a real local webhook receiver with injected faults."""

from __future__ import annotations

import json
import logging
import random
import stat
from collections import Counter
from datetime import UTC, datetime

import pytest

from metaseg.exceptions import ConfigError, ExportError, ExportWarning
from metaseg.export import (
    RetryPolicy,
    export_labels,
    parse_retry_after,
    parse_target,
    replay_dead_letters,
)
from metaseg.export.deadletter import read_dead_letters
from metaseg.export.payload import encode_batch
from metaseg.export.webhook import WebhookClient, idempotency_key

from .conftest import SECRET_ENV

FAST = {"backoff": 0.001, "max_backoff": 0.01, "timeout": 2.0, "random_state": 7}


def _send(labels, receiver, fake_time, state_dir, **options):
    settings = {**FAST, "secret_env": SECRET_ENV, "state_dir": state_dir}
    settings.update(sleep=fake_time.sleep, clock=fake_time.clock)
    settings.update(options)
    return export_labels(labels, receiver.url, **settings)


def _ids(records):
    return Counter(r["customer_id"] for r in records)


def test_all_records_arrive_signed_in_batches(receiver, make_labels, fake_time, state_dir):
    labels = make_labels(250)
    result = _send(labels, receiver, fake_time, state_dir, batch_size=100)
    assert result.ok and result.delivered == 250 and len(result.batches) == 3
    assert [len(b) for b in receiver.store.values()] == [100, 100, 50]
    assert _ids(receiver.records()) == Counter(range(250))
    assert all(r["valid"] for r in receiver.requests)
    first = receiver.records()[0]
    assert set(first) == set(labels.columns)
    assert first["as_of"] == "2024-06-01T00:00:00+00:00"
    headers = receiver.requests[0]["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Metaseg-Signature"].startswith("sha256=")
    assert fake_time.sleeps == []


def test_faults_are_retried_with_the_same_key_and_delivered_exactly_once(
    receiver, make_labels, fake_time, state_dir
):
    receiver.fail(
        ("status", 429, {"Retry-After": "2"}),
        ("status", 500),
        ("drop",),
        ("drop_after_store",),  # stored, but the reply is lost: the retry is a duplicate
        ("status", 503),
    )
    result = _send(make_labels(300), receiver, fake_time, state_dir, batch_size=100, max_attempts=6)
    assert result.ok and result.delivered == 300
    assert _ids(receiver.records()) == Counter(range(300))  # exactly once after dedup
    keys = receiver.keys_seen()
    assert len(keys) == 3 + 5 and len(set(keys)) == 3  # retries reuse the batch's key
    bodies = {}
    for request in receiver.requests:
        bodies.setdefault(request["key"], set()).add(request["body_sha"])
    assert all(len(shas) == 1 for shas in bodies.values())  # and the same bytes
    assert fake_time.sleeps[0] >= 2.0  # Retry-After honoured
    assert len(fake_time.sleeps) == 5
    assert [b.attempts for b in result.batches] == [6, 1, 1]


def test_slow_replies_time_out_and_the_retry_is_deduplicated(
    receiver, make_labels, fake_time, state_dir
):
    receiver.fail(("slow", 1.0))
    result = _send(make_labels(40), receiver, fake_time, state_dir, timeout=0.2, batch_size=40)
    assert result.ok and result.batches[0].attempts == 2
    assert len(receiver.requests) == 2 and len(set(receiver.keys_seen())) == 1
    assert _ids(receiver.records()) == Counter(range(40))


def test_attempts_are_bounded_and_failures_go_to_the_dead_letter_file(
    receiver, make_labels, fake_time, state_dir, tmp_path
):
    receiver.fail(*[("status", 503)] * 4)  # the first batch fails every attempt
    dead = tmp_path / "dead.jsonl"
    with pytest.warns(ExportWarning, match="30 label.*could not be delivered.*--replay"):
        result = _send(
            make_labels(60),
            receiver,
            fake_time,
            state_dir,
            batch_size=30,
            max_attempts=4,
            dead_letter=dead,
        )
    assert not result.ok and (result.delivered, result.failed) == (30, 30)
    assert (
        result.batches[0].attempts == 4
        and "gave up after max_attempts=4" in result.batches[0].error
    )
    assert len(fake_time.sleeps) == 3
    caps = [min(0.01, 0.001 * 2**n) for n in range(3)]  # jitter in [cap/2, cap]
    assert all(cap / 2 <= s <= cap for s, cap in zip(fake_time.sleeps, caps, strict=True))
    letters = read_dead_letters(dead)
    assert len(letters) == 1 and letters[0].records == 30 and letters[0].status == 503
    assert stat.S_IMODE(dead.stat().st_mode) == 0o600  # labels and the URL: owner only
    assert letters[0].idempotency_key == result.batches[0].key
    assert result.dead_letter == dead
    with pytest.raises(ExportError, match="dead-letter file") as info:
        result.raise_for_failures()
    assert f"metaseg export --replay {str(dead)!r}" in str(info.value)

    replay = replay_dead_letters(
        dead,
        secret_env=SECRET_ENV,
        state_dir=state_dir,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        **FAST,
    )
    assert replay.ok and replay.delivered == 30
    assert not dead.exists()
    assert _ids(receiver.records()) == Counter(range(60))
    # the replay used the key of the failed attempts
    assert receiver.keys_seen()[-1] == letters[0].idempotency_key
    # and the ledger now knows the receiver has everything
    assert _send(make_labels(60), receiver, fake_time, state_dir).diff.is_empty


def test_replay_keeps_what_still_fails(receiver, make_labels, fake_time, state_dir, tmp_path):
    dead = tmp_path / "dead.jsonl"
    receiver.fail(*[("status", 500)] * 4)
    with pytest.warns(ExportWarning):
        _send(
            make_labels(20),
            receiver,
            fake_time,
            state_dir,
            batch_size=10,
            max_attempts=2,
            dead_letter=dead,
        )
    assert len(read_dead_letters(dead)) == 2
    receiver.fail(("status", 400))  # the first replayed batch fails for good, no retry
    replay = replay_dead_letters(
        dead,
        secret_env=SECRET_ENV,
        state_dir=state_dir,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        **FAST,
    )
    assert (replay.delivered, replay.failed) == (10, 10)
    left = read_dead_letters(dead)
    assert len(left) == 1 and left[0].status == 400 and left[0].attempts == 3
    assert "1/2 batches" in str(replay)


def test_permanent_errors_are_not_retried(receiver, make_labels, fake_time, state_dir):
    receiver.fail(("status", 404))
    with pytest.warns(ExportWarning):
        result = _send(make_labels(5), receiver, fake_time, state_dir)
    assert result.batches[0].attempts == 1 and result.batches[0].status == 404
    assert len(receiver.requests) == 1 and fake_time.sleeps == []


def test_time_budget_stops_retries_and_dead_letters_the_rest(
    receiver, make_labels, fake_time, state_dir
):
    receiver.fail(("status", 429, {"Retry-After": "100"}))
    with pytest.warns(ExportWarning):
        result = _send(
            make_labels(20), receiver, fake_time, state_dir, batch_size=10, time_budget=50
        )
    assert fake_time.sleeps == []  # waiting 100 s would pass the 50 s budget
    assert "would pass time_budget=50" in result.batches[0].error
    assert result.batches[1].delivered  # the budget was not spent, only that wait refused
    letters = read_dead_letters(result.dead_letter)
    assert [letter.records for letter in letters] == [10]


def test_spent_budget_sends_nothing_more(receiver, make_labels, fake_time, state_dir):
    receiver.fail(("status", 503, {"Retry-After": "3"}))
    with pytest.warns(ExportWarning):
        result = _send(
            make_labels(30), receiver, fake_time, state_dir, batch_size=10, time_budget=3
        )
    # the 3 s wait uses the whole budget: no retry, and later batches are not sent
    assert fake_time.sleeps == [3.0]
    assert [b.attempts for b in result.batches] == [1, 0, 0]
    assert "time_budget=3 s spent" in result.batches[2].error
    assert result.failed == 30 and len(receiver.requests) == 1
    assert len(read_dead_letters(result.dead_letter)) == 3


def test_secrets_never_show_in_results_logs_or_dead_letters(
    receiver, make_labels, fake_time, state_dir, monkeypatch, caplog, webhook_secret
):
    caplog.set_level(logging.DEBUG, logger="metaseg")
    receiver.fail(("status", 500))  # one retry with the right secret, so a retry is logged
    good = _send(
        make_labels(5),
        receiver,
        fake_time,
        state_dir,
        headers={"Authorization": "Bearer tok-abc-987"},
    )
    assert good.ok and "retrying" in caplog.text
    assert receiver.requests[0]["headers"]["Authorization"] == "Bearer tok-abc-987"

    monkeypatch.setenv("OTHER_SECRET", "wrong-secret-value-123")
    with pytest.warns(ExportWarning):
        bad = _send(
            make_labels(5, seed=9), receiver, fake_time, state_dir, secret_env="OTHER_SECRET"
        )
    assert bad.batches[0].status == 401 and bad.batches[0].attempts == 1
    assert receiver.requests[-1]["valid"] is False
    text = " ".join(
        [str(good), repr(good), str(bad), repr(bad), caplog.text, bad.dead_letter.read_text()]
    )
    for secret in ("wrong-secret-value-123", webhook_secret.decode(), "tok-abc-987"):
        assert secret not in text
    client = WebhookClient(
        parse_target(receiver.url),
        b"wrong-secret-value-123",
        RetryPolicy(),
        headers={"Authorization": "Bearer tok-abc-987"},
    )
    assert "wrong-secret-value-123" not in repr(client) and "tok-abc-987" not in repr(client)


def test_missing_secret_is_a_config_error_naming_the_variable(make_labels, state_dir):
    with pytest.raises(ConfigError, match="'NO_SUCH_SECRET_VAR'.*not set"):
        export_labels(
            make_labels(3), "https://crm.example.com/hook", secret_env="NO_SUCH_SECRET_VAR"
        )
    # a dry run needs no secret and sends nothing
    result = export_labels(
        make_labels(3),
        "https://crm.example.com/hook",
        dry_run=True,
        secret_env="NO_SUCH_SECRET_VAR",
    )
    assert result.dry_run and result.diff.n_added == 3


def test_plain_http_to_a_remote_host_is_refused(make_labels, webhook_secret):
    with pytest.raises(ConfigError, match="not encrypted"):
        export_labels(make_labels(3), "http://crm.example.com/hook", secret_env=SECRET_ENV)


def test_ledger_gives_the_diff_and_changes_only_sends_changes(
    receiver, make_labels, fake_time, state_dir
):
    labels = make_labels(50)
    _send(labels, receiver, fake_time, state_dir)
    assert (state_dir / "webhooks").is_dir()
    moved = labels.copy()
    moved.loc[3, ["base_segment", "sub_segment", "segment"]] = ["vip", 0, "vip/0"]
    moved = moved.drop(index=[10, 11])
    result = _send(moved, receiver, fake_time, state_dir, changes_only=True)
    assert (result.diff.n_moved, result.diff.n_removed, result.diff.n_added) == (1, 2, 0)
    assert result.delivered == 1
    last = receiver.store[receiver.keys_seen()[-1]]
    assert [r["customer_id"] for r in last] == [3]
    assert _send(moved, receiver, fake_time, state_dir).diff.is_empty


def test_rerunning_the_same_export_sends_the_same_keys(receiver, make_labels, fake_time, state_dir):
    labels = make_labels(30)
    _send(labels, receiver, fake_time, state_dir, batch_size=10)
    _send(labels.sample(frac=1, random_state=1), receiver, fake_time, state_dir, batch_size=10)
    keys = receiver.keys_seen()
    assert keys[:3] == keys[3:]  # same content, same keys, whatever the row order
    assert _ids(receiver.records()) == Counter(range(30))


def test_idempotency_key_depends_on_target_and_content():
    body = encode_batch([{"customer_id": 1}])
    assert idempotency_key("https://a.example/h", body) == idempotency_key(
        "https://a.example/h", body
    )
    assert idempotency_key("https://b.example/h", body) != idempotency_key(
        "https://a.example/h", body
    )
    assert idempotency_key("https://a.example/h", encode_batch([{"customer_id": 2}])) != (
        idempotency_key("https://a.example/h", body)
    )


def test_retry_after_parsing():
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None and parse_retry_after("  ") is None


def test_jitter_is_seeded_and_grows_exponentially():
    policy = RetryPolicy(backoff=1.0, max_backoff=8.0)
    first = [policy.delay(n, random.Random(3)) for n in range(1, 6)]
    again = [policy.delay(n, random.Random(3)) for n in range(1, 6)]
    assert first == again
    for n, wait in enumerate(first, start=1):
        cap = min(8.0, 2.0 ** (n - 1))
        assert cap / 2 <= wait <= cap


@pytest.mark.parametrize(
    ("option", "value"),
    [("max_attempts", 0), ("timeout", 0), ("backoff", -1.0), ("time_budget", float("nan"))],
)
def test_bad_retry_settings_are_named(option, value):
    with pytest.raises(ConfigError, match=option):
        RetryPolicy(**{option: value})


def test_bad_batch_size_and_reserved_headers(make_labels, receiver, state_dir):
    with pytest.raises(ConfigError, match="batch_size"):
        export_labels(make_labels(3), receiver.url, batch_size=0, secret_env=SECRET_ENV)
    with pytest.raises(ConfigError, match="Idempotency-Key.*set by metaseg"):
        export_labels(
            make_labels(3), receiver.url, secret_env=SECRET_ENV, headers={"Idempotency-Key": "x"}
        )


def test_malformed_dead_letter_file_names_the_line(tmp_path, webhook_secret):
    dead = tmp_path / "dead.jsonl"
    dead.write_text('{"target": "http://127.0.0.1:9/h"}\n')
    with pytest.raises(ExportError, match="line 1 is not a dead-letter entry.*missing field"):
        replay_dead_letters(dead, secret_env=SECRET_ENV)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("attempts", "a", r"field 'attempts' must be a whole number >= 0, got 'a' \(str\)"),
        ("records", True, r"field 'records' must be a whole number >= 0, got True"),
        ("status", "503", r"field 'status' must be an HTTP status code or null, got '503'"),
    ],
)
def test_an_edited_dead_letter_entry_is_refused_before_anything_is_sent(
    receiver, make_labels, fake_time, state_dir, tmp_path, field, value, message
):
    dead = tmp_path / "dead.jsonl"
    receiver.fail(*[("status", 500)] * 4)
    with pytest.warns(ExportWarning):
        _send(
            make_labels(20),
            receiver,
            fake_time,
            state_dir,
            batch_size=10,
            max_attempts=2,
            dead_letter=dead,
        )
    lines = dead.read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[1]) | {field: value}
    dead.write_text(lines[0] + "\n" + json.dumps(edited) + "\n", encoding="utf-8")
    sent_before = len(receiver.records())
    with pytest.raises(ExportError, match=rf"line 2 is not a dead-letter entry \({message}"):
        replay_dead_letters(
            dead,
            secret_env=SECRET_ENV,
            state_dir=state_dir,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            **FAST,
        )
    assert len(receiver.records()) == sent_before  # the valid first line was not sent either
    assert dead.read_text(encoding="utf-8").splitlines()[0] == lines[0]
