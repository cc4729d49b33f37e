"""``export_labels`` and ``replay_dead_letters``: the edges where labels leave metaseg."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from metaseg._progress import check_progress, counter
from metaseg.exceptions import ConfigError, ExportError, ExportWarning
from metaseg.export.deadletter import (
    DeadLetter,
    add_dead_letters,
    now_iso,
    read_dead_letters,
    write_dead_letters,
)
from metaseg.export.diff import LabelDiff, diff_labels
from metaseg.export.file_diff import check_changes_limit
from metaseg.export.files import (
    export_parquet_labels,
    file_is_current,
    read_file_labels,
    write_file_labels,
)
from metaseg.export.ledger import (
    default_dead_letter_path,
    ledger_path,
    merge_delivered,
    merge_export,
    read_ledger,
    resolve_state_dir,
    write_ledger,
)
from metaseg.export.payload import (
    batches,
    encode_batch,
    label_records,
    records_frame,
)
from metaseg.export.result import ExportResult, ReplayResult
from metaseg.export.sql import export_sql_labels
from metaseg.export.uri import Target, parse_target
from metaseg.export.validate import text_value, validate_labels
from metaseg.export.webhook import (
    DEFAULT_SECRET_ENV,
    BatchOutcome,
    RetryPolicy,
    WebhookClient,
    idempotency_key,
    read_secret,
)
from metaseg.schema import CUSTOMER_ID, MODEL_NAME

_SENT_CHANGES = ("added", "moved", "updated")


def _check_batch_size(batch_size: int) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be an integer >= 1, got {batch_size!r}.")


def _previous(target: Target, labels: pd.DataFrame, state: Path | None) -> pd.DataFrame | None:
    if target.kind == "file":
        return read_file_labels(target)
    models = sorted(labels[MODEL_NAME].astype(str).unique())
    assert state is not None
    ledger = read_ledger(ledger_path(state, target.url))
    if ledger is None:
        return None
    return ledger[ledger[MODEL_NAME].isin(models)].reset_index(drop=True)


def _result(target: Target, diff: LabelDiff, dry_run: bool, written: bool, n: int) -> ExportResult:
    """The result of a file or SQL export; nothing is delivered when nothing was written."""
    return ExportResult(
        target.display,
        target.kind,
        diff,
        dry_run=dry_run,
        written=written,
        delivered=n if written else 0,
    )


def _record_key(record: Mapping[str, object]) -> str:
    return f"{record[MODEL_NAME]}\x1f{text_value(record[CUSTOMER_ID])}"


def _deliver(
    client: WebhookClient,
    records: list[dict[str, object]],
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[BatchOutcome], list[DeadLetter], set[str]]:
    """Send records in batches; return outcomes, dead letters and keys of failed records."""
    deadline = client.clock() + client.policy.time_budget
    outcomes: list[BatchOutcome] = []
    letters: list[DeadLetter] = []
    failed_keys: set[str] = set()
    for batch in batches(records, batch_size):
        body = encode_batch(batch)
        key = idempotency_key(client.target.url, body)
        outcome = client.send(body, key, records=len(batch), deadline=deadline)
        outcomes.append(outcome)
        if not outcome.delivered:
            failed_keys.update(_record_key(r) for r in batch)
            letters.append(
                DeadLetter(
                    target=client.target.url,
                    idempotency_key=key,
                    batch={"records": batch},
                    records=len(batch),
                    attempts=outcome.attempts,
                    status=outcome.status,
                    error=outcome.error,
                    failed_at=now_iso(),
                )
            )
        if progress is not None:
            progress(len(batch))
    return outcomes, letters, failed_keys


def export_labels(
    labels: pd.DataFrame,
    to: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    batch_size: int = 100,
    max_attempts: int = 5,
    timeout: float = 10.0,
    backoff: float = 0.5,
    max_backoff: float = 30.0,
    time_budget: float = 300.0,
    secret_env: str = DEFAULT_SECRET_ENV,
    headers: Mapping[str, str] | None = None,
    changes_only: bool = False,
    state_dir: str | os.PathLike[str] | None = None,
    dead_letter: str | os.PathLike[str] | None = None,
    random_state: int | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
    progress: bool | Callable[[int], None] | None = None,
    changes_limit: int | None = None,
) -> ExportResult:
    """Export a labels table to a file, a SQL table or a webhook, with a diff first.

    The labels are checked, the labels already at the target are read and compared
    (:class:`~metaseg.export.diff.LabelDiff`), then written unless ``dry_run``:

    - files (``.csv``/``.parquet`` path or ``file://`` URI) are replaced atomically and
      hold exactly the exported labels;
    - SQL tables (``sqlite:///path.db``, ``postgresql://...``, ``?table=name``, default
      ``metaseg_labels``) keep the latest labels per model, upserted in one transaction;
    - webhooks (``https://...``; ``http://`` only to localhost) receive signed JSON
      batches ``{"records": [...]}``; batches that still fail after the retries go to a
      dead-letter file for :func:`replay_dead_letters`, and a local ledger of what the
      target received is kept for the next diff.

    Re-running an export with the same labels changes nothing at the target: a file or
    SQL table that already holds them is not written at all (``result.written`` is
    False), and a SQL table only gets the labels that changed.

    Parameters
    ----------
    labels : pandas.DataFrame
        The labels table (``metaseg.schema.LABEL_COLUMNS``).
    to : str or PathLike
        The target path or URI (see :func:`metaseg.export.uri.parse_target`).
    dry_run : bool
        Only compute and return the diff; write nothing (no secret needed).
    batch_size : int
        Records per webhook request (files and SQL tables are written whole).
    max_attempts, timeout, backoff, max_backoff, time_budget
        Webhook retry settings, see :class:`~metaseg.export.webhook.RetryPolicy`.
    secret_env : str
        Name of the environment variable holding the webhook signing secret.
    headers : Mapping[str, str], optional
        Extra webhook request headers (e.g. ``Authorization``); never logged.
    changes_only : bool
        Webhooks only: send just the added, moved and updated labels.
    state_dir : str or PathLike, optional
        Folder of the webhook ledgers and default dead-letter files; defaults to
        ``$METASEG_STATE_DIR`` or ``~/.metaseg/exports``.
    dead_letter : str or PathLike, optional
        Dead-letter file of a webhook export; defaults to one per target in ``state_dir``.
    random_state : int, optional
        Seed of the retry jitter.
    sleep, clock : callable, optional
        Replacements for ``time.sleep`` and ``time.monotonic`` (tests).
    progress : bool or callable, optional
        A bar over the records sent to a webhook: None (default) in notebooks and
        terminals only, True / False always / never. A callable is called instead with
        the number of records of each batch once it is settled (delivered or
        dead-lettered).
    changes_limit : int, optional
        List at most this many changed labels in ``result.diff.changes`` (the diff's
        counts still cover all); default: all. A scoring job that re-labels a million
        customers changes every ``scored_at``, so listing every change is costly.
        Parquet targets are compared with the new labels by DuckDB over the two files
        (:func:`~metaseg.export.file_diff.diff_label_files`) and list only these.

    Returns
    -------
    ExportResult
        The diff, how many labels were delivered or failed, and the dead-letter file.
        When some webhook batches failed, a :class:`~metaseg.exceptions.ExportWarning` is
        emitted and ``result.ok`` is False; ``result.raise_for_failures()`` turns that
        into an :class:`~metaseg.exceptions.ExportError`.

    Raises
    ------
    DataError
        If the labels break the labels contract.
    ConfigError
        For an unsupported target, a bad option or a missing webhook secret.
    ExportError
        If the target cannot be read or written (a file or SQL target then still holds
        its previous labels).

    Examples
    --------
    >>> import tempfile
    >>> labels = pd.DataFrame({
    ...     "customer_id": [1, 2], "base_segment": ["dormant", "active"],
    ...     "sub_segment": [0, 1], "segment": ["dormant/0", "active/1"],
    ...     "segment_name": ["Dormant", "Active"], "model_name": "rfm",
    ...     "model_version": "1", "run_id": "r1", "as_of": pd.Timestamp("2024-01-01", tz="UTC"),
    ...     "scored_at": pd.Timestamp("2024-01-02", tz="UTC")})
    >>> target = tempfile.mkdtemp() + "/labels.parquet"
    >>> export_labels(labels, target).diff.n_added
    2
    >>> export_labels(labels, target).diff.is_empty
    True
    """
    _check_batch_size(batch_size)
    check_progress("export_labels", progress)
    check_changes_limit(changes_limit)
    target = parse_target(to)
    frame = validate_labels(labels)
    state = resolve_state_dir(state_dir) if target.kind == "webhook" else None
    client = None
    if target.kind == "webhook" and not dry_run:
        client = WebhookClient(
            target,
            read_secret(secret_env),
            RetryPolicy(max_attempts, backoff, max_backoff, timeout, time_budget),
            headers=headers,
            random_state=random_state,
            sleep=sleep or time.sleep,
            clock=clock or time.monotonic,
        )
    if target.kind == "sql":
        diff, written = export_sql_labels(target, frame, dry_run=dry_run)
        return _result(target, diff.first_changes(changes_limit), dry_run, written, len(frame))
    if target.kind == "file" and target.file_format == "parquet" and not dry_run:
        diff, written = export_parquet_labels(target, frame, changes_limit=changes_limit)
        return _result(target, diff, dry_run, written, len(frame))
    previous = _previous(target, frame, state)
    diff = diff_labels(previous, frame, current_unique=True)  # validate_labels checked it
    if dry_run:
        diff = diff.first_changes(changes_limit)
        return ExportResult(target.display, target.kind, diff, dry_run=True, written=False)
    if target.kind == "file":
        written = not file_is_current(target, previous, frame, diff)
        if written:
            write_file_labels(target, frame)
        return _result(target, diff.first_changes(changes_limit), dry_run, written, len(frame))

    assert client is not None and state is not None
    result = _export_webhook(
        client, frame, diff, state, batch_size, changes_only, dead_letter, progress
    )
    result.diff = diff.first_changes(changes_limit)
    if result.failed:
        warnings.warn(
            f"{result.failed:,} label(s) in {result.batches_failed} batch(es) could not be "
            f"delivered to {target.display}; they were saved to {str(result.dead_letter)!r}: "
            f"resend them with metaseg export --replay {str(result.dead_letter)!r} (in Python: "
            "replay_dead_letters()).",
            ExportWarning,
            stacklevel=2,
        )
    return result


def _export_webhook(
    client: WebhookClient,
    frame: pd.DataFrame,
    diff: LabelDiff,
    state: Path,
    batch_size: int,
    changes_only: bool,
    dead_letter: str | os.PathLike[str] | None,
    progress: bool | Callable[[int], None] | None = None,
) -> ExportResult:
    target = client.target
    records = label_records(frame)
    if changes_only:
        changed = diff.changes[diff.changes["change"].isin(_SENT_CHANGES)]
        wanted = set(changed[MODEL_NAME].astype(str) + "\x1f" + changed[CUSTOMER_ID].astype(str))
        records = [r for r in records if _record_key(r) in wanted]
    with counter(
        progress,
        total=len(records),
        desc=f"exporting to {target.display}",
        owner="export_labels",
        unit="labels",
    ) as advance:
        outcomes, letters, failed_keys = _deliver(client, records, batch_size, advance)
    letter_path = Path(dead_letter) if dead_letter else default_dead_letter_path(state, target.url)
    try:
        add_dead_letters(letter_path, letters)
        path = ledger_path(state, target.url)
        write_ledger(path, merge_export(read_ledger(path), frame, failed_keys))
    except OSError as exc:
        raise ExportError(
            f"labels were sent to {target.display}, but the local state could not be saved "
            f"({type(exc).__name__}: {exc}); check that {str(state)!r} is writable."
        ) from None
    return ExportResult(
        target.display,
        target.kind,
        diff,
        delivered=sum(o.records for o in outcomes if o.delivered),
        failed=sum(o.records for o in outcomes if not o.delivered),
        batches=outcomes,
        dead_letter=letter_path if letters else None,
    )


def replay_dead_letters(
    path: str | os.PathLike[str],
    *,
    max_attempts: int = 5,
    timeout: float = 10.0,
    backoff: float = 0.5,
    max_backoff: float = 30.0,
    time_budget: float = 300.0,
    secret_env: str = DEFAULT_SECRET_ENV,
    headers: Mapping[str, str] | None = None,
    state_dir: str | os.PathLike[str] | None = None,
    random_state: int | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> ReplayResult:
    """Resend the batches of a dead-letter file; delivered ones are removed from it.

    Each batch is sent to the target recorded with it, with the same idempotency key
    (a receiver that got it after all drops the duplicate) and a fresh signature. The
    file is rewritten atomically with the batches that still fail (and removed when
    none is left), and the ledger of each target is updated with what was delivered.

    Parameters
    ----------
    path : str or PathLike
        The dead-letter file (see :attr:`ExportResult.dead_letter`).
    max_attempts, timeout, backoff, max_backoff, time_budget, secret_env, headers
        As for :func:`export_labels`.
    state_dir : str or PathLike, optional
        The state folder whose ledgers to update; as for :func:`export_labels`.
    random_state : int, optional
        Seed of the retry jitter.
    sleep, clock : callable, optional
        Replacements for ``time.sleep`` and ``time.monotonic`` (tests).

    Returns
    -------
    ReplayResult

    Raises
    ------
    ConfigError
        If the secret is missing or a recorded target is not a webhook.
    ExportError
        If the file holds a malformed line.

    Examples
    --------
    >>> replay_dead_letters("/nonexistent/dead.jsonl").ok
    True
    """
    file = Path(path)
    letters = read_dead_letters(file)
    result = ReplayResult(file)
    if not letters:
        return result
    policy = RetryPolicy(max_attempts, backoff, max_backoff, timeout, time_budget)
    secret = read_secret(secret_env)
    state = resolve_state_dir(state_dir)
    clients: dict[str, WebhookClient] = {}
    deadline: float | None = None
    remaining: list[DeadLetter] = []
    delivered: dict[str, list[dict[str, object]]] = {}
    for letter in letters:
        if letter.target not in clients:
            target = parse_target(letter.target)
            if target.kind != "webhook":
                raise ConfigError(
                    f"dead-letter file {str(file)!r} names a target that is not a webhook "
                    f"({target.display}); only webhook batches can be replayed."
                )
            clients[letter.target] = WebhookClient(
                target,
                secret,
                policy,
                headers=headers,
                random_state=random_state,
                sleep=sleep or time.sleep,
                clock=clock or time.monotonic,
            )
        client = clients[letter.target]
        if deadline is None:
            deadline = client.clock() + policy.time_budget
        records = list(letter.batch["records"])
        body = encode_batch(records)
        key = idempotency_key(letter.target, body)
        outcome = client.send(body, key, records=len(records), deadline=deadline)
        result.batches.append(outcome)
        if outcome.delivered:
            result.delivered += outcome.records
            delivered.setdefault(letter.target, []).extend(records)
        else:
            result.failed += outcome.records
            remaining.append(
                DeadLetter(
                    target=letter.target,
                    idempotency_key=key,
                    batch={"records": records},
                    records=len(records),
                    attempts=letter.attempts + outcome.attempts,
                    status=outcome.status,
                    error=outcome.error,
                    failed_at=now_iso(),
                )
            )
    try:
        write_dead_letters(file, remaining)
        for url, records in delivered.items():
            ledger = ledger_path(state, url)
            write_ledger(ledger, merge_delivered(read_ledger(ledger), records_frame(records)))
    except OSError as exc:
        raise ExportError(
            f"batches were resent, but {str(file)!r} or the ledger in {str(state)!r} could "
            f"not be updated ({type(exc).__name__}: {exc})."
        ) from None
    return result
