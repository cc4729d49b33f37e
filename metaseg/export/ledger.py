"""The local ledger of what each webhook has received, to diff the next export against.

A webhook cannot be asked which labels it holds, so metaseg keeps, per target, the last
labels it delivered: a Parquet file (all values as text) under the state folder
``<state>/webhooks/<sha256 of the URL, 16 hex>.parquet``. The state folder is the
``state_dir`` argument, else ``$METASEG_STATE_DIR``, else ``~/.metaseg/exports``. Like SQL
targets, the ledger keeps only the latest labels per model: after an export, the rows of
each exported model are the labels just delivered (with the previous row kept for
customers whose batch failed), and customers no longer labelled are dropped.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from metaseg._io import atomic_write
from metaseg.exceptions import ExportError
from metaseg.export.validate import key_strings, text_value
from metaseg.schema import LABEL_COLUMNS, MODEL_NAME

STATE_ENV = "METASEG_STATE_DIR"
DEFAULT_STATE_DIR = Path("~/.metaseg/exports")


def resolve_state_dir(state_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the state folder: the argument, else ``$METASEG_STATE_DIR``, else the default.

    Examples
    --------
    >>> str(resolve_state_dir("/tmp/metaseg-state"))
    '/tmp/metaseg-state'
    """
    if state_dir is not None:
        return Path(state_dir).expanduser()
    from_env = os.environ.get(STATE_ENV, "").strip()
    return Path(from_env).expanduser() if from_env else DEFAULT_STATE_DIR.expanduser()


def _stem(target_url: str) -> str:
    return hashlib.sha256(target_url.encode("utf-8")).hexdigest()[:16]


def ledger_path(state: Path, target_url: str) -> Path:
    """Where the ledger of a webhook target lives."""
    return state / "webhooks" / f"{_stem(target_url)}.parquet"


def default_dead_letter_path(state: Path, target_url: str) -> Path:
    """Where failed batches of a webhook target go unless another file is given."""
    return state / "webhooks" / f"{_stem(target_url)}.deadletter.jsonl"


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Labels with every value as text (nulls kept), the form the ledger stores.

    Examples
    --------
    >>> as_text(pd.DataFrame({"customer_id": [1, None]}))["customer_id"].tolist()
    ['1', nan]
    """
    out = {}
    for column in frame.columns:
        text = frame[column].astype(object).map(text_value, na_action="ignore")
        out[column] = text.astype("str")
    return pd.DataFrame(out, index=frame.index)


def read_ledger(path: Path) -> pd.DataFrame | None:
    """Read a ledger, ``None`` when the target has never been exported to."""
    if not path.exists():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise ExportError(
            f"the webhook ledger {str(path)!r} cannot be read ({type(exc).__name__}: {exc}); "
            "delete it to start over (the next diff then counts every label as added)."
        ) from None


def write_ledger(path: Path, frame: pd.DataFrame) -> None:
    """Write a ledger atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = as_text(frame.reset_index(drop=True)[list(LABEL_COLUMNS)])
    with atomic_write(path, "wb", private=True) as fh:
        text.to_parquet(fh, index=False)


def merge_export(
    previous: pd.DataFrame | None,
    current: pd.DataFrame,
    failed_keys: set[str],
) -> pd.DataFrame:
    """The ledger after exporting ``current``, whose rows in ``failed_keys`` were not delivered.

    Rows of other models stay; for the exported models the ledger becomes ``current``,
    except that customers whose batch failed keep their previous row (or none).
    """
    current = as_text(current[list(LABEL_COLUMNS)])
    parts = [current[~key_strings(current).isin(failed_keys).to_numpy()]]
    if previous is not None and len(previous):
        previous = as_text(previous[list(LABEL_COLUMNS)])
        models = set(current[MODEL_NAME])
        other = ~previous[MODEL_NAME].isin(models)
        kept = key_strings(previous).isin(failed_keys)
        parts.append(previous[(other | kept).to_numpy()])
    return pd.concat(parts, ignore_index=True)


def merge_delivered(previous: pd.DataFrame | None, delivered: pd.DataFrame) -> pd.DataFrame:
    """The ledger after a replay delivered ``delivered``: those rows replace older ones."""
    delivered = as_text(delivered[list(LABEL_COLUMNS)])
    if previous is None or len(previous) == 0:
        return delivered.reset_index(drop=True)
    previous = as_text(previous[list(LABEL_COLUMNS)])
    stale = key_strings(previous).isin(set(key_strings(delivered)))
    return pd.concat([previous[~stale.to_numpy()], delivered], ignore_index=True)
