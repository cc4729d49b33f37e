"""The model registry: register a logged segmentation, promote it through quality gates,
and load the champion with its integrity checked.

Aliases mark roles: ``champion`` is the version used for scoring and moves only when
every quality gate passes; ``challenger`` marks a candidate and is set even when gates
fail (the verdicts are still recorded). Every promotion records, as model-version
tags, each gate's threshold, value and verdict, when and by whom it was promoted,
and the sha256 of the model's files, which :func:`load_champion` checks before
unpickling anything.
"""

from __future__ import annotations

import getpass
import re
import socket
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from metaseg._messages import preview
from metaseg.exceptions import ConfigError, GateRefusedError, ModelNotFoundError, TrackingError
from metaseg.tracking import names
from metaseg.tracking.gates import GateResult, QualityGates, coerce_gates, evaluate_gates
from metaseg.tracking.integrity import download_model_dir, hash_directory
from metaseg.tracking.store import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    probe,
    resolve_tracking_uri,
    tracking_error,
    tracking_failures,
    tracking_session,
)

CHAMPION = "champion"
CHALLENGER = "challenger"
#: Aliases that are set even when gates fail (their verdicts are recorded all the same).
UNGATED_ALIASES = frozenset({CHALLENGER})
_ALIAS = re.compile(r"^[A-Za-z][\w\-]*$")


@dataclass(frozen=True)
class PromotionResult:
    """What :func:`promote` did.

    Attributes
    ----------
    name, version, alias : str
        The registered model, the version the alias now points to, and the alias.
    previous_version : str or None
        The version the alias pointed to before.
    gates : list of GateResult
        Each gate's threshold, value and verdict.
    model_sha256 : str
        Digest of the version's model files, recorded as a tag.
    promoted_at : str
        UTC time, ISO 8601.
    promoted_by : str
        Who or what promoted.
    """

    name: str
    version: str
    alias: str
    previous_version: str | None
    gates: list[GateResult]
    model_sha256: str
    promoted_at: str
    promoted_by: str

    @property
    def gates_passed(self) -> bool:
        """Whether every gate passed (a challenger may be promoted without)."""
        return all(g.passed for g in self.gates)

    def __str__(self) -> str:
        before = f" (was version {self.previous_version})" if self.previous_version else ""
        lines = [f"{self.name}@{self.alias} -> version {self.version}{before}"]
        for gate in self.gates:
            verdict = "pass" if gate.passed else "FAIL"
            lines.append(
                f"  {verdict}  {gate.name}: {gate.value} {gate.op} {gate.threshold}"
                + (f" ({gate.detail})" if gate.detail else "")
            )
        lines.append(f"  model sha256 {self.model_sha256[:16]}…, by {self.promoted_by}")
        return "\n".join(lines)


@dataclass
class LoadedModel:
    """A registered segmentation loaded for scoring, its files verified.

    Attributes
    ----------
    model : MetaSegmenter
        The fitted segmentation (its own labels carry no provenance;
        :meth:`predict` stamps this version's).
    name, version, run_id : str
    alias : str or None
        The alias it was loaded through; None when loaded by its version number.
    model_sha256 : str
        Its files' digest: checked against the one recorded at promotion when the version
        was promoted.
    source : str
        Where the model's files were downloaded from.
    tags : dict
        The model version's tags.
    tracking_uri : str, optional
        The store it was loaded from (where :meth:`training_labels` fetches from).

    Notes
    -----
    ``model`` is the scoring copy logged by :func:`~metaseg.tracking.log_fit`: it
    predicts, explains and gives membership, but holds no row per customer. What needs
    the fit's labels (edits, the report, drift, identity matching on labels) asks for
    them explicitly: :meth:`training_labels` or :meth:`full_model`. A version logged
    before the scoring copy existed holds its labels and returns them as they are.
    """

    model: Any
    name: str
    version: str
    alias: str | None
    run_id: str
    model_sha256: str
    source: str
    tags: dict[str, str] = field(default_factory=dict)
    tracking_uri: str | None = None

    def training_labels(
        self, *, timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_MAX_RETRIES
    ) -> pd.DataFrame:
        """The labels of the fit customers, fetched from the run and checked.

        Downloads ``training/fit_labels.parquet`` from the version's run and checks its
        sha256 against the one the (verified) model recorded at logging. A version
        logged with its labels inside the model returns those.

        Raises
        ------
        TrackingError
            The store cannot be reached, the artifact is missing, or it does not match.
        """
        held = self.model.__dict__.get("labels_")
        if held is not None:
            return held
        from metaseg.tracking.training_state import fetch_training_labels

        uri = resolve_tracking_uri(self.tracking_uri)
        what = f"{self.name!r} version {self.version}"
        with tracking_session(uri, timeout=timeout, max_retries=max_retries) as client:
            try:
                return fetch_training_labels(client, self.run_id, self.model, what)
            except tracking_failures() as exc:
                raise tracking_error(uri, f"fetch the training labels of {what}", exc) from exc

    def full_model(
        self, *, timeout: float = DEFAULT_TIMEOUT, max_retries: int = DEFAULT_MAX_RETRIES
    ) -> Any:
        """The segmenter with its training labels (``labels_``) back, for edits, the
        report, drift and identity matching (see :meth:`training_labels`)."""
        if "labels_" in self.model.__dict__:
            return self.model
        labels = self.training_labels(timeout=timeout, max_retries=max_retries)
        return self.model.with_training_labels(labels)

    def predict(self, facts: pd.DataFrame, *, as_of: Any = None) -> pd.DataFrame:
        """Label customers with this version's name, version and run id.

        See :meth:`metaseg.model.MetaSegmenter.predict`.
        """
        from metaseg.provenance import Provenance, stamp_provenance

        labels = self.model.predict(facts, as_of=as_of)
        return stamp_provenance(labels, Provenance(self.name, self.version, self.run_id))


def download_verified(
    client: Any,
    uri: str,
    mv: Any,
    destination: str | Path,
    *,
    alias: str | None = None,
    require_digest: bool = True,
) -> tuple[Path, str, str]:
    """Download a registered version's files and check them against its promotion digest.

    The one download-and-verify path: :func:`load_champion` and
    :func:`metaseg.spark.score_spark` both use it.

    Parameters
    ----------
    client : MlflowClient
    uri : str
        The tracking store.
    mv : ModelVersion
        The version, as the registry returned it.
    destination : path
        Folder to download into.
    alias : str, optional
        The alias the version was reached through (named in messages).
    require_digest : bool, default True
        Refuse a version without a promotion digest. With False (a version named by its
        number) such a version is loaded with its digest computed, not checked.

    Returns
    -------
    (local folder, expected sha256, download source)

    Raises
    ------
    TrackingError
        The version was never promoted (no digest), or its files do not match.
    """
    name = mv.name
    via = f" (alias {alias!r})" if alias else ""
    expected = mv.tags.get(names.TAG_MODEL_SHA256)
    if not expected and not require_digest:
        source = client.get_model_version_download_uri(name, mv.version)
        local = download_model_dir(source, destination, uri)
        return local, hash_directory(local), source
    if not expected:
        again = f", alias={alias!r}" if alias else ""
        raise TrackingError(
            f"model {name!r} version {mv.version}{via} has no recorded "
            f"{names.TAG_MODEL_SHA256} tag, so its files cannot be verified; promote it with "
            f"metaseg.tracking.promote({name!r}, {mv.version!r}{again})."
        )
    source = client.get_model_version_download_uri(name, mv.version)
    local = download_model_dir(source, destination, uri)
    actual = hash_directory(local)
    if actual != expected:
        raise TrackingError(
            f"model {name!r} version {mv.version}{via}: its files at {source!r} do not match "
            f"the sha256 recorded at promotion ({actual[:12]}... instead of "
            f"{expected[:12]}...). They were modified or corrupted after promotion; refusing "
            "to load them. Promote a freshly logged version."
        )
    return local, expected, source


def register_version(
    client: Any, name: str, model_uri: str, run_id: str, metrics: Mapping[str, float]
) -> str:
    """Register a logged model as a new version of ``name``; return the version number.

    The version is tagged with the run's key overall metrics (``overall.silhouette``,
    ...). Called by :func:`metaseg.tracking.log_fit` with ``register=``.
    """
    import mlflow

    tags = {
        names.overall_key(k): f"{metrics[names.overall_key(k)]:.6g}"
        for k in names.KEY_METRICS
        if names.overall_key(k) in metrics
    }
    version = mlflow.register_model(model_uri, name, tags=tags)
    return str(version.version)


def _check_alias(alias: Any) -> str:
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias.lower() == "latest":
        raise ConfigError(
            f"alias must start with a letter and hold only letters, digits, '_' or '-' (and "
            f"not be 'latest'), got {alias!r}; use e.g. 'champion' or 'challenger'."
        )
    if re.fullmatch(r"[vV]\d+", alias):
        raise ConfigError(f"alias {alias!r} looks like a version reference; choose another name.")
    return alias


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"name must be the registered model's name, got {name!r}.")
    return name


def _who() -> str:
    import metaseg

    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} via metaseg {metaseg.__version__}"


def _model_version(client: Any, name: str, version: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, version)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
    try:
        versions = [
            str(mv.version) for mv in client.search_model_versions(f"name = '{_quote(name)}'")
        ]
    except MlflowException:
        versions = []
    if not versions:
        raise TrackingError(
            f"registered model {name!r} does not exist or has no versions; log a fit with "
            f"log_fit(..., register={name!r}) first."
        ) from None
    raise TrackingError(
        f"registered model {name!r} has no version {version!r}; its versions are "
        f"{preview(sorted(versions, key=int))}."
    ) from None


def _quote(name: str) -> str:
    """Escape a name for MLflow's filter strings (single quotes doubled)."""
    return name.replace("'", "''")


def _verified_digest(client: Any, uri: str, name: str, version: str, run: Any) -> str:
    """Hash the version's files; refuse if they differ from the digest taken when logged."""
    location = client.get_model_version_download_uri(name, version)
    with tempfile.TemporaryDirectory(prefix="metaseg-model-") as tmp:
        digest = hash_directory(download_model_dir(location, tmp, uri))
    logged = run.data.tags.get(names.TAG_MODEL_SHA256)
    if logged is not None and logged != digest:
        raise TrackingError(
            f"model {name!r} version {version}: its files at {location!r} changed since they "
            f"were logged (sha256 {digest[:12]}... instead of {logged[:12]}...). Refusing to "
            "promote tampered or corrupted artifacts; log the fit again."
        )
    return digest


def promote(
    name: str,
    version: str | int,
    *,
    alias: str = CHAMPION,
    gates: QualityGates | Mapping[str, Any] | None = None,
    tracking_uri: str | None = None,
    promoted_by: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> PromotionResult:
    """Point ``alias`` at a model version if its run passes the quality gates.

    The gates are evaluated from the run's logged metrics and recorded as tags of the
    version (``metaseg.gate.<gate>`` as JSON with value, threshold and verdict, and
    ``metaseg.gates_passed``) whatever the outcome. On success the alias moves and the
    version gets ``metaseg.model_sha256``, ``metaseg.promoted_at``,
    ``metaseg.promoted_by`` and ``metaseg.promoted_alias``.

    Parameters
    ----------
    name : str
        Registered model name.
    version : str or int
        The version to promote.
    alias : str, default "champion"
        The alias to move. ``"challenger"`` is set even when gates fail.
    gates : QualityGates or mapping, optional
        Thresholds (default :class:`QualityGates`).
    tracking_uri : str, optional
        See :func:`metaseg.tracking.store.resolve_tracking_uri`.
    promoted_by : str, optional
        Who or what promoted (default ``user@host via metaseg <version>``).
    timeout, max_retries
        Bounds of each request to a tracking server.

    Returns
    -------
    PromotionResult

    Raises
    ------
    GateRefusedError
        Listing each failed gate with value and threshold; the alias is not moved.
        Its ``gates`` attribute holds every :class:`GateResult`.
    TrackingError
        If the version does not exist, its files changed since logging, or the store
        cannot be reached.

    Examples
    --------
    >>> promote("shop", 3, gates={"min_stability": 0.5})  # doctest: +SKIP
    """
    name = _check_name(name)
    version = str(version)
    alias = _check_alias(alias)
    spec = coerce_gates(gates)
    uri = resolve_tracking_uri(tracking_uri)
    probe(uri, timeout=timeout, max_retries=max_retries)
    who = promoted_by or _who()
    with tracking_session(uri, timeout=timeout, max_retries=max_retries) as client:
        try:
            mv = _model_version(client, name, version)
            run = client.get_run(mv.run_id)
            results = evaluate_gates(run.data.metrics, spec)
            previous = client.get_registered_model(name).aliases.get(alias)
            digest = _verified_digest(client, uri, name, version, run)
            now = datetime.now(UTC).isoformat(timespec="seconds")
            passed = all(r.passed for r in results)
            tags = {f"{names.TAG_GATE_PREFIX}{r.name}": r.to_tag() for r in results}
            tags[names.TAG_GATES_PASSED] = str(passed).lower()
            for key in mv.tags:  # verdicts of gates not checked this time are stale
                if key.startswith(names.TAG_GATE_PREFIX) and key not in tags:
                    client.delete_model_version_tag(name, version, key)
            for key, value in tags.items():
                client.set_model_version_tag(name, version, key, value)
            if not passed and alias not in UNGATED_ALIASES:
                raise _refusal(name, version, alias, previous, results)
            promotion = {
                names.TAG_MODEL_SHA256: digest,
                names.TAG_PROMOTED_AT: now,
                names.TAG_PROMOTED_BY: who,
                names.TAG_PROMOTED_ALIAS: alias,
            }
            for key, value in promotion.items():
                client.set_model_version_tag(name, version, key, value)
            client.set_registered_model_alias(name, alias, version)
        except tracking_failures() as exc:
            raise tracking_error(uri, f"promote {name!r} version {version}", exc) from exc
    return PromotionResult(
        name=name,
        version=version,
        alias=alias,
        previous_version=None if previous is None else str(previous),
        gates=results,
        model_sha256=digest,
        promoted_at=now,
        promoted_by=who,
    )


def _refusal(
    name: str, version: str, alias: str, previous: Any, results: list[GateResult]
) -> GateRefusedError:
    failed = [r for r in results if not r.passed]
    lines = [
        f"Promotion of model {name!r} version {version} to alias {alias!r} refused: "
        f"{len(failed)} quality gate(s) failed:"
    ]
    lines += [f"  - {r}" for r in failed]
    where = f"version {previous}" if previous is not None else "no version"
    lines.append(
        f"The alias {alias!r} still points to {where}. Improve the segmentation, or pass "
        "gates= with thresholds you accept (None switches a gate off)."
    )
    error = GateRefusedError("\n".join(lines))
    error.gates = results  # type: ignore[attr-defined]
    return error


def load_champion(
    name: str,
    *,
    alias: str = CHAMPION,
    version: str | int | None = None,
    tracking_uri: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_retries: int = DEFAULT_MAX_RETRIES,
) -> LoadedModel:
    """Load the segmenter an alias (or a version number) points to, its files checked.

    Parameters
    ----------
    name : str
        Registered model name.
    alias : str, default "champion"
        Which version to load.
    version : str or int, optional
        Load this version number instead (``models:/NAME/VERSION``). Its files are
        checked against the promotion digest when it was promoted.
    tracking_uri : str, optional
        See :func:`metaseg.tracking.store.resolve_tracking_uri`.
    timeout, max_retries
        Bounds of each request to a tracking server.

    Returns
    -------
    LoadedModel

    Raises
    ------
    TrackingError
        If the alias does not exist, the version was never promoted by metaseg (no
        recorded digest), or its files do not match the recorded digest (tampered or
        corrupted) — nothing is unpickled then.

    Examples
    --------
    >>> champion = load_champion("shop", tracking_uri="sqlite:///mlflow.db")  # doctest: +SKIP
    >>> labels = champion.predict(facts)  # doctest: +SKIP
    """
    name = _check_name(name)
    via: str | None = None if version is not None else _check_alias(alias)
    uri = resolve_tracking_uri(tracking_uri)
    probe(uri, timeout=timeout, max_retries=max_retries)
    what = f"load {name!r}@{via}" if via else f"load {name!r} version {version}"
    with tracking_session(uri, timeout=timeout, max_retries=max_retries) as client:
        try:
            if via is None:
                mv = _version_by_number(client, name, str(version))
            else:
                mv = _version_by_alias(client, name, via)
            with tempfile.TemporaryDirectory(prefix="metaseg-model-") as tmp:
                local, expected, source = download_verified(
                    client, uri, mv, tmp, alias=via, require_digest=via is not None
                )
                segmenter = _load_segmenter(local)
        except tracking_failures() as exc:
            raise tracking_error(uri, what, exc) from exc
    return LoadedModel(
        model=segmenter,
        name=name,
        version=str(mv.version),
        alias=via,
        run_id=mv.run_id,
        model_sha256=expected,
        source=source,
        tags=dict(mv.tags),
        tracking_uri=uri,
    )


def _version_by_number(client: Any, name: str, version: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(name, version)
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise
    versions: list[str] = []
    if "'" not in name:  # the name goes into MLflow's filter text only when it is plain
        try:
            found = client.search_model_versions(f"name='{name}'")
            versions = sorted((str(mv.version) for mv in found), key=int)
        except MlflowException:
            versions = []
    raise ModelNotFoundError(
        f"registered model {name!r} has no version {version!r} (versions: "
        f"{preview(versions) if versions else 'none'}); log a fit with "
        f"log_fit(..., register={name!r})."
    ) from None


def _version_by_alias(client: Any, name: str, alias: str) -> Any:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise
    try:
        aliases = sorted(client.get_registered_model(name).aliases)
    except MlflowException:
        raise ModelNotFoundError(
            f"registered model {name!r} does not exist; log a fit with "
            f"log_fit(..., register={name!r}) and promote a version."
        ) from None
    raise ModelNotFoundError(
        f"registered model {name!r} has no alias {alias!r} (aliases: "
        f"{preview(aliases) if aliases else 'none'}); promote a version with "
        f"metaseg.tracking.promote({name!r}, VERSION, alias={alias!r})."
    ) from None


def _load_segmenter(model_dir: Path) -> Any:
    """Unpickle the segmenter artifact named in the model's MLmodel file."""
    import joblib

    from metaseg._yaml import load_yaml

    mlmodel = model_dir / "MLmodel"
    if not mlmodel.is_file():
        raise TrackingError(f"{str(model_dir)!r} holds no MLmodel file; it is not a logged model.")
    meta = load_yaml(mlmodel.read_text(encoding="utf-8"), what="MLmodel")
    try:
        relative = meta["flavors"]["python_function"]["artifacts"][names.SEGMENTER_ARTIFACT]["path"]
    except (KeyError, TypeError):
        raise TrackingError(
            f"the logged model in {str(model_dir)!r} has no {names.SEGMENTER_ARTIFACT!r} "
            "artifact; it was not logged by metaseg.tracking.log_fit."
        ) from None
    path = (model_dir / relative).resolve()
    if model_dir.resolve() not in path.parents:
        raise TrackingError(f"the segmenter artifact path {relative!r} leaves the model folder.")
    return joblib.load(path)
