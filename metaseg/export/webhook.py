"""Delivering JSON batches to a webhook: signing, idempotency keys and bounded retries.

Each batch is POSTed with

- ``Idempotency-Key``: sha256 of the target URL and the body, the same on every retry
  and every re-run of the same labels, so a receiver can drop duplicates;
- ``X-Metaseg-Signature: sha256=<hex>``: HMAC-SHA256 of the exact body bytes with the
  shared secret read from an environment variable.

Requests that fail with 408, 425, 429, a 5xx status (except 501 and 505), a timeout or a
connection error are retried with exponential backoff and jitter, waiting at least what
a ``Retry-After`` header asks for, up to ``max_attempts`` attempts and within a total
time budget. Other statuses (400, 401, 404, ...) are permanent and not retried. Redirects
are not followed (a 3xx is a permanent failure), so labels are only sent where the
target URL says. The secret is never logged, never put in an error and never shown by
``repr``.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import http.client
import logging
import os
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from metaseg import __version__
from metaseg.exceptions import ConfigError
from metaseg.export.uri import Target

logger = logging.getLogger("metaseg.export")

SIGNATURE_HEADER = "X-Metaseg-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_SECRET_ENV = "METASEG_WEBHOOK_SECRET"
_RESERVED = {"content-type", "content-length", "host", "idempotency-key", SIGNATURE_HEADER.lower()}
_PERMANENT_5XX = {501, 505}
_RETRY_4XX = {408, 425, 429}


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try delivering one batch.

    Parameters
    ----------
    max_attempts : int
        Attempts per batch, the first one included (>= 1).
    backoff : float
        Base delay in seconds: attempt ``n`` waits a random time between half and all of
        ``backoff * 2 ** (n - 1)``, capped at ``max_backoff``.
    max_backoff : float
        Longest wait between attempts unless ``Retry-After`` asks for more.
    timeout : float
        Seconds to wait for connecting and for each read of the response.
    time_budget : float
        Seconds the whole delivery may take; when spent, no retry is started and batches
        not yet sent go to the dead-letter file.

    Examples
    --------
    >>> RetryPolicy(max_attempts=3).delay(2, random.Random(0)) <= 1.0
    True
    """

    max_attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 30.0
    timeout: float = 10.0
    time_budget: float = 300.0

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be an integer >= 1, got {self.max_attempts!r}.")
        for name in ("backoff", "max_backoff", "timeout", "time_budget"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value >= 0 or value == float("inf"):
                raise ConfigError(f"{name} must be a finite number of seconds >= 0, got {value!r}.")
        for name in ("timeout", "time_budget"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be > 0 seconds, got {getattr(self, name)!r}.")

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), with jitter."""
        cap = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return rng.uniform(cap / 2, cap)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait, or ``None`` when absent or unreadable.

    Parameters
    ----------
    value : str or None
        The header: a number of seconds or an HTTP date.
    now : datetime, optional
        The current time (UTC) to measure an HTTP date from; defaults to now.

    Examples
    --------
    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT",
    ...                   now=datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC))
    10.0
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def read_secret(secret_env: str) -> bytes:
    """Read the webhook signing secret from the environment variable named ``secret_env``.

    Raises
    ------
    ConfigError
        If the name is not a valid variable name or the variable is unset or empty.
        The message names the variable, never its value.
    """
    if not isinstance(secret_env, str) or not secret_env.strip():
        raise ConfigError(f"secret_env must name an environment variable, got {secret_env!r}.")
    secret = os.environ.get(secret_env, "")
    if not secret:
        raise ConfigError(
            f"environment variable {secret_env!r} holding the webhook signing secret is not "
            f"set or empty; set it to the secret shared with the receiver, or pass "
            f"secret_env='OTHER_VARIABLE' naming the variable that holds it."
        )
    return secret.encode("utf-8")


def sign(body: bytes, secret: bytes) -> str:
    """Return the signature header value ``sha256=<hex>`` for ``body``.

    Examples
    --------
    >>> sign(b"{}", b"k")[:7]
    'sha256='
    """
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: bytes) -> bool:
    """Check a signature header against ``body`` in constant time (for receivers).

    Examples
    --------
    >>> verify_signature(b"{}", sign(b"{}", b"k"), b"k")
    True
    """
    return header is not None and hmac.compare_digest(sign(body, secret), header)


def idempotency_key(target_url: str, body: bytes) -> str:
    """Derive the ``Idempotency-Key`` of a batch from its target and exact body.

    Examples
    --------
    >>> idempotency_key("https://a.example/h", b"x") == idempotency_key("https://a.example/h", b"x")
    True
    """
    digest = hashlib.sha256()
    digest.update(target_url.encode("utf-8"))
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


@dataclass
class BatchOutcome:
    """What happened to one batch.

    Attributes
    ----------
    key : str
        Its idempotency key.
    records : int
        Records in the batch.
    delivered : bool
        Whether the receiver accepted it (2xx).
    attempts : int
        Requests made (0 when the time budget ran out before it was sent).
    status : int or None
        The last HTTP status, ``None`` for a network error or no attempt.
    error : str
        The last error, empty when delivered.
    """

    key: str
    records: int
    delivered: bool
    attempts: int
    status: int | None = None
    error: str = ""


class _Retryable(Exception):
    def __init__(self, message: str, status: int | None = None, wait: float | None = None):
        super().__init__(message)
        self.status = status
        self.wait = wait


class _Permanent(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class WebhookClient:
    """POST signed batches to one webhook with retries.

    Parameters
    ----------
    target : Target
        A webhook target from :func:`metaseg.export.uri.parse_target`.
    secret : bytes
        The signing secret (kept out of ``repr``).
    policy : RetryPolicy
        Attempts, backoff, timeout and time budget.
    headers : Mapping[str, str], optional
        Extra request headers (e.g. ``Authorization``); kept out of ``repr`` and logs.
    random_state : int, optional
        Seed of the jitter.
    sleep, clock : callable, optional
        ``time.sleep`` and ``time.monotonic`` unless given (tests inject fakes).

    Examples
    --------
    >>> from metaseg.export.uri import parse_target
    >>> client = WebhookClient(parse_target("http://127.0.0.1:9/hook"), b"s", RetryPolicy())
    >>> "b's'" in repr(client)
    False
    """

    target: Target
    secret: bytes = field(repr=False)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    random_state: int | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _rng: random.Random = field(init=False, repr=False)
    _secret_text: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.target.kind != "webhook":
            raise ConfigError(f"WebhookClient needs a webhook target, got {self.target.display}.")
        for name in self.headers or {}:
            if name.lower() in _RESERVED:
                raise ConfigError(
                    f"header {name!r} is set by metaseg itself; remove it from headers."
                )
        self._rng = random.Random(self.random_state)
        self._secret_text = self.secret.decode("utf-8", errors="replace")

    def _scrub(self, text: str) -> str:
        """Remove the secret and header values from a message, should a server echo them."""
        for value in [self._secret_text, *(self.headers or {}).values()]:
            if value and len(value) >= 4:
                text = text.replace(value, "***")
        return text

    def _post(self, body: bytes, key: str, timeout: float) -> int:
        parts = urlsplit(self.target.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {
            **(self.headers or {}),
            "Content-Type": "application/json",
            "User-Agent": f"metaseg/{__version__}",
            IDEMPOTENCY_HEADER: key,
            SIGNATURE_HEADER: sign(body, self.secret),
        }
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read(2048).decode("utf-8", errors="replace").strip()
            status = response.status
            retry_after = response.getheader("Retry-After")
        except ssl.SSLCertVerificationError as exc:
            raise _Permanent(f"TLS certificate rejected: {exc.verify_message}") from None
        except TimeoutError:
            raise _Retryable(f"no response within timeout={timeout:g} s") from None
        except (OSError, http.client.HTTPException) as exc:
            reason = str(exc) or "connection closed without a response"
            raise _Retryable(f"{type(exc).__name__}: {reason}") from None
        finally:
            conn.close()
        if 200 <= status < 300:
            return status
        detail = f"HTTP {status}" + (f": {text[:200]}" if text else "")
        if status in _RETRY_4XX or (status >= 500 and status not in _PERMANENT_5XX):
            raise _Retryable(detail, status=status, wait=parse_retry_after(retry_after))
        if 300 <= status < 400:
            detail += " (redirects are not followed; use the final URL as the target)"
        raise _Permanent(detail, status=status)

    def send(self, body: bytes, key: str, *, records: int, deadline: float) -> BatchOutcome:
        """POST one batch until it is accepted, fails permanently or runs out of tries.

        Parameters
        ----------
        body : bytes
            The exact JSON body.
        key : str
            The batch's idempotency key, sent unchanged on every attempt.
        records : int
            Records in the batch, for the outcome.
        deadline : float
            ``clock()`` value after which no attempt or wait is started.

        Returns
        -------
        BatchOutcome
        """
        status: int | None = None
        error = ""
        attempt = 0
        while attempt < self.policy.max_attempts:
            remaining = deadline - self.clock()
            if remaining <= 0:
                error = (error + "; " if error else "") + (
                    f"time_budget={self.policy.time_budget:g} s spent"
                )
                break
            attempt += 1
            try:
                status = self._post(body, key, min(self.policy.timeout, max(remaining, 0.05)))
                return BatchOutcome(key, records, True, attempt, status)
            except _Permanent as exc:
                error = self._scrub(str(exc))
                logger.warning(
                    "webhook %s: batch %s (%d records) refused: %s",
                    self.target.display,
                    key[:12],
                    records,
                    error,
                )
                return BatchOutcome(key, records, False, attempt, exc.status, error)
            except _Retryable as exc:
                status, error = exc.status, self._scrub(str(exc))
                if attempt >= self.policy.max_attempts:
                    break
                wait = self.policy.delay(attempt, self._rng)
                if exc.wait is not None:
                    wait = max(wait, exc.wait)
                if self.clock() + wait > deadline:
                    error += (
                        f"; not retried: waiting {wait:.3g} s would pass "
                        f"time_budget={self.policy.time_budget:g} s"
                    )
                    break
                logger.info(
                    "webhook %s: batch %s attempt %d/%d failed (%s); retrying in %.2f s",
                    self.target.display,
                    key[:12],
                    attempt,
                    self.policy.max_attempts,
                    error,
                    wait,
                )
                self.sleep(wait)
        if attempt >= self.policy.max_attempts:
            error += f" (gave up after max_attempts={self.policy.max_attempts})"
        logger.warning(
            "webhook %s: batch %s (%d records) not delivered: %s",
            self.target.display,
            key[:12],
            records,
            error,
        )
        return BatchOutcome(key, records, False, attempt, status, error)
