"""Where runs go and how long we wait for them: tracking URI resolution and bounded calls.

The tracking URI is, in order: the ``tracking_uri`` argument, the
``MLFLOW_TRACKING_URI`` environment variable, one set in this process with
``mlflow.set_tracking_uri``, the ``tracking.tracking_uri`` of a metaseg config, and
finally MLflow's own default, ``sqlite:///mlflow.db`` in the working directory.

Every call metaseg makes to MLflow runs inside :func:`tracking_session`, which points
MLflow at that URI and bounds each HTTP request (timeout, retries, back-off) for the
duration of the call only, restoring the previous settings afterwards. A server that
cannot be reached is detected by :func:`probe` before anything is sent.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from metaseg.exceptions import ConfigError, TrackingError

#: MLflow's own default store, relative to the working directory.
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
#: Seconds one HTTP request to the tracking server may take.
DEFAULT_TIMEOUT = 10.0
#: Retries of a failed HTTP request (MLflow's default is 7, with long back-off).
DEFAULT_MAX_RETRIES = 2
#: Back-off factor in seconds between retries (1 s, 2 s, 4 s, ...).
DEFAULT_BACKOFF = 1

_ENV_TRACKING_URI = "MLFLOW_TRACKING_URI"
_ENV_TIMEOUT = "MLFLOW_HTTP_REQUEST_TIMEOUT"
_ENV_MAX_RETRIES = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"
_ENV_BACKOFF = "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"
_ENV_JITTER = "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER"
_ENV_PROGRESS = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"
_HTTP_SCHEMES = ("http", "https")


def resolve_tracking_uri(tracking_uri: str | None = None, config: Any = None) -> str:
    """Return the tracking URI to use (see the module documentation for the order).

    A relative ``sqlite:///`` path is made absolute so messages say where the store is.

    Parameters
    ----------
    tracking_uri : str, optional
        An explicit URI (``sqlite:///path.db``, ``http://host:5000``, ``file:///dir``).
    config : MetasegConfig or mapping, optional
        A metaseg configuration; its ``tracking.tracking_uri`` is used when nothing
        else names a store.

    Examples
    --------
    >>> resolve_tracking_uri("http://127.0.0.1:5000")
    'http://127.0.0.1:5000'
    """
    if tracking_uri is not None:
        return _normalise(tracking_uri, "tracking_uri")
    env = os.environ.get(_ENV_TRACKING_URI)
    if env:
        return _normalise(env, _ENV_TRACKING_URI)
    in_process = _uri_set_in_process()
    if in_process:
        return _normalise(in_process, "mlflow.set_tracking_uri")
    from_config = _config_uri(config)
    if from_config:
        return _normalise(from_config, "tracking.tracking_uri")
    return _normalise(DEFAULT_TRACKING_URI, "the default tracking URI")


def _uri_set_in_process() -> str | None:
    import sys

    if "mlflow" not in sys.modules:  # nobody could have set it
        return None
    from mlflow.tracking._tracking_service import utils

    return getattr(utils, "_tracking_uri", None)


def _config_uri(config: Any) -> str | None:
    if config is None:
        return None
    tracking = getattr(config, "tracking", None)
    if tracking is not None:
        return getattr(tracking, "tracking_uri", None)
    if isinstance(config, Mapping):
        section = config.get("tracking")
        if isinstance(section, Mapping):
            value = section.get("tracking_uri")
            return None if value is None else str(value)
    return None


def _normalise(uri: Any, source: str) -> str:
    if not isinstance(uri, str | os.PathLike) or not str(uri).strip():
        raise ConfigError(
            f"{source} must be a non-empty tracking URI such as 'sqlite:///mlflow.db' or "
            f"'http://127.0.0.1:5000', got {uri!r}."
        )
    text = str(uri).strip()
    if text.startswith("sqlite:///") and not text.startswith("sqlite:////"):
        relative = unquote(text[len("sqlite:///") :])
        if relative and relative != ":memory:":
            text = "sqlite:///" + str(Path(relative).resolve())
    return text


def is_http(uri: str) -> bool:
    """Whether ``uri`` names an HTTP(S) tracking server."""
    return urlsplit(uri).scheme.lower() in _HTTP_SCHEMES


def probe(
    uri: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
) -> None:
    """Check that a tracking store can be reached, failing fast and within a bounded time.

    For an HTTP(S) server this asks ``<uri>/health`` (any HTTP answer counts as
    reachable), retrying ``max_retries`` times after ``backoff * 2**i`` seconds. For a
    ``sqlite:///`` store it checks that the database's folder exists, then creates or
    upgrades MLflow's tables under a file lock (:func:`prepare_sqlite_store`).

    Raises
    ------
    TrackingError
        Naming the URI, what failed and what to do.

    Examples
    --------
    >>> probe("sqlite:////tmp/mlflow.db")
    """
    scheme = urlsplit(uri).scheme.lower()
    if scheme == "sqlite":
        path = unquote(uri[len("sqlite:///") :]) if uri.startswith("sqlite:///") else ""
        if path and path != ":memory:" and not Path(path).parent.is_dir():
            raise TrackingError(
                f"MLflow tracking store {uri!r} cannot be created: the folder "
                f"{str(Path(path).parent)!r} does not exist. Create it, or point "
                f"tracking_uri / {_ENV_TRACKING_URI} at another store."
            )
        prepare_sqlite_store(uri)
        return
    if scheme not in _HTTP_SCHEMES:
        return
    url = uri.rstrip("/") + "/health"
    last: BaseException | None = None
    for attempt in range(max_retries + 1):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            with urllib.request.urlopen(url, timeout=timeout):
                return
        except urllib.error.HTTPError:
            return  # the server answered; it is reachable
        except (urllib.error.URLError, OSError) as exc:
            last = exc
    reason = getattr(last, "reason", last)
    raise TrackingError(
        f"MLflow tracking server {uri!r} is unreachable ({reason}; {max_retries + 1} "
        f"attempt(s), {timeout:g} s timeout each). Start the server or check the address, "
        f"or set tracking_uri / {_ENV_TRACKING_URI} to a reachable store such as "
        f"'sqlite:///mlflow.db'."
    )


@contextlib.contextmanager
def tracking_session(
    uri: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
    backoff: int = DEFAULT_BACKOFF,
) -> Iterator[Any]:
    """Point MLflow at ``uri`` with bounded HTTP requests; yield an ``MlflowClient``.

    MLflow's ``MLFLOW_HTTP_REQUEST_TIMEOUT``, ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
    ``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`` and ``MLFLOW_HTTP_REQUEST_BACKOFF_JITTER``
    and the process's tracking URI are set for the duration of the block and restored
    afterwards. They are process-wide: do not log from several threads at once.

    Parameters
    ----------
    uri : str
        The resolved tracking URI.
    timeout : float
        Seconds per HTTP request (rounded up to whole seconds, as MLflow reads them).
    max_retries : int
        Retries per HTTP request.
    backoff : int
        Back-off factor in whole seconds between retries.
    """
    _check_bounds(timeout, max_retries, backoff)
    import mlflow
    from mlflow.tracking._tracking_service import utils

    settings = {
        _ENV_TIMEOUT: str(max(1, int(-(-timeout // 1)))),
        _ENV_MAX_RETRIES: str(int(max_retries)),
        _ENV_BACKOFF: str(int(backoff)),
        _ENV_JITTER: "0.5",
        _ENV_PROGRESS: "false",
    }
    prepare_sqlite_store(uri)
    saved_env = {key: os.environ.get(key) for key in (*settings, _ENV_TRACKING_URI)}
    saved_uri = getattr(utils, "_tracking_uri", None)
    os.environ.update(settings)
    mlflow.set_tracking_uri(uri)
    try:
        with quiet_mlflow():
            yield mlflow.MlflowClient(tracking_uri=uri)
    finally:
        mlflow.set_tracking_uri(saved_uri)  # type: ignore[arg-type]
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


#: Attempts at creating a SQLite store's tables before giving up.
SCHEMA_ATTEMPTS = 3
_PREPARED: set[str] = set()


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI (``None`` for other URIs and ``:memory:``).

    Examples
    --------
    >>> str(sqlite_path("sqlite:////tmp/mlflow.db"))
    '/tmp/mlflow.db'
    >>> sqlite_path("http://127.0.0.1:5000") is None
    True
    """
    if not uri.startswith("sqlite:///"):
        return None
    path = unquote(uri[len("sqlite:///") :]).split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


@contextlib.contextmanager
def store_lock(database: Path) -> Iterator[Path]:
    """Hold an exclusive ``fcntl.flock`` on ``<database>.lock`` for the block.

    Two processes opening a new SQLite store at once would both create MLflow's tables
    and run its migrations (``duplicate column name``, ``No such index``); holding this
    lock while the schema is created makes the second one wait, then find it ready.

    Parameters
    ----------
    database : Path
        The SQLite database file; the lock file sits beside it.

    Yields
    ------
    Path
        The lock file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with store_lock(Path(tmp) / "mlflow.db") as lock:
    ...         print(lock.name)
    mlflow.db.lock
    """
    lock = database.with_name(database.name + ".lock")
    with open(lock, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield lock
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def prepare_sqlite_store(uri: str, *, attempts: int = SCHEMA_ATTEMPTS) -> None:
    """Create or upgrade the MLflow tables of a ``sqlite:///`` store, one process at a time.

    MLflow creates a new SQLite store's tables the first time a client uses it, without
    a lock between processes. This builds the tracking and registry stores of ``uri``
    while holding :func:`store_lock`, retrying a failed attempt, so concurrent fits and
    scores on a fresh store all find its schema complete. It does nothing for other
    URIs, and only once per URI in a process.

    Parameters
    ----------
    uri : str
        The resolved tracking URI.
    attempts : int
        Tries before giving up.

    Raises
    ------
    TrackingError
        If the schema still cannot be created; the message names the store and the cause.
    """
    database = sqlite_path(uri)
    if database is None or uri in _PREPARED or not database.parent.is_dir():
        return
    last: BaseException | None = None
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(0.2 * 2**attempt)
        try:
            with store_lock(database):
                _build_stores(uri)
        except tracking_failures() as exc:
            last = exc
            continue
        _PREPARED.add(uri)
        return
    detail = " ".join(str(last).split())[:300]
    raise TrackingError(
        f"MLflow tracking store {uri!r}: its tables could not be created or upgraded after "
        f"{max(1, attempts)} attempt(s) ({type(last).__name__}: {detail}). Check that "
        f"{str(database)!r} is a writable MLflow database, or point tracking_uri / "
        f"{_ENV_TRACKING_URI} at another store."
    )


def _build_stores(uri: str) -> None:
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    with quiet_mlflow():
        tracking_utils._get_store(uri)
        registry_utils._get_store(uri)


@contextlib.contextmanager
def quiet_mlflow() -> Iterator[None]:
    """Silence the known, harmless warnings MLflow raises on metaseg's facts and stores."""
    with warnings.catch_warnings():
        for message in (
            "Hint: Inferred schema contains integer column",
            "Series.values returning an ndarray that drops timezone",
            "Starting with pandas version 4.0 all arguments of all",
            "The ``noload`` loader strategy is deprecated",
            ".*Add type hints to the `predict` method",
            ".*An input example was not provided when logging the model",
        ):
            warnings.filterwarnings("ignore", message=message)
        yield


def _check_bounds(timeout: float, max_retries: int, backoff: float) -> None:
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ConfigError(f"timeout must be a number of seconds > 0, got {timeout!r}.")
    if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
        raise ConfigError(f"max_retries must be an integer >= 0, got {max_retries!r}.")
    if not isinstance(backoff, int) or isinstance(backoff, bool) or backoff < 0:
        raise ConfigError(
            f"backoff must be a whole number of seconds >= 0 (MLflow reads an integer), "
            f"got {backoff!r}."
        )


def tracking_failures() -> tuple[type[BaseException], ...]:
    """The exception types that mean "the tracking store could not be used"."""
    import requests
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError

    return (MlflowException, requests.exceptions.RequestException, OSError, SQLAlchemyError)


def tracking_error(
    uri: str, action: str, exc: BaseException, local_dir: Path | None = None
) -> TrackingError:
    """Build the one :class:`TrackingError` reported when MLflow fails.

    Parameters
    ----------
    uri : str
        The tracking URI.
    action : str
        What was being done, e.g. ``"log the fit"``.
    exc : BaseException
        The MLflow, HTTP or file-system error.
    local_dir : Path, optional
        Where the outputs were already saved; the message says so.
    """
    detail = " ".join(str(exc).split())
    if len(detail) > 400:
        detail = detail[:397] + "..."
    if is_http(uri):
        hint = (
            "Check that the tracking server is running and reachable, or set tracking_uri / "
            f"{_ENV_TRACKING_URI} to another store (e.g. 'sqlite:///mlflow.db')."
        )
    else:
        hint = f"Check that the store is writable, or set tracking_uri / {_ENV_TRACKING_URI}."
    saved = ""
    if local_dir is not None:
        saved = (
            f" Nothing is lost: the labels, profiles and model were saved in "
            f"{str(local_dir)!r} before contacting MLflow."
        )
    return TrackingError(
        f"Could not {action} at MLflow tracking URI {uri!r}: {type(exc).__name__}: "
        f"{detail}. {hint}{saved}"
    )
