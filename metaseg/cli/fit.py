"""``metaseg fit``: read data, compute facts, fit the segmentation and log it to MLflow."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from metaseg.config import MetasegConfig
    from metaseg.jobs import Inputs

from metaseg.cli._common import DEFAULT_CONFIG, add_data_arguments, load_job_config, say, step


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    """Register the ``fit`` verb."""
    p = sub.add_parser(
        "fit",
        parents=parents,
        help="fit a segmentation and log it as an MLflow run",
        description="Fit the segmentation a config describes and log it to MLflow.",
    )
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help=f"YAML config (default {DEFAULT_CONFIG})"
    )
    add_data_arguments(p)
    p.add_argument("--experiment", help="MLflow experiment (default: the config's)")
    p.add_argument("--register", metavar="NAME", help="register the model under this name")
    p.add_argument("--tracking-uri", dest="tracking_uri", help="MLflow tracking URI")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Fit, log and print the run id and the summary."""
    config = load_job_config(args)
    fitted = fit_and_log(args, config)
    print(f"run_id: {fitted.run.run_id}")
    if fitted.run.registered_version is not None:
        print(f"registered: {fitted.run.registered_name} version {fitted.run.registered_version}")
    print(fitted.model.summary_text())
    return 0


@dataclass
class FitOutcome:
    """What ``fit_and_log`` produced: the inputs, their facts, the model and its run."""

    inputs: Inputs
    facts: pd.DataFrame
    model: Any
    run: Any


def fit_and_log(args: argparse.Namespace, config: MetasegConfig) -> FitOutcome:
    """The fit job shared by ``fit`` and ``demo``."""
    from metaseg import jobs
    from metaseg.tracking import log_fit

    with step(args, "reading data"):
        inputs = jobs.load_inputs(
            config,
            events=getattr(args, "events", None),
            customers=getattr(args, "customers", None),
            as_of=getattr(args, "as_of", None),
        )
    say(args, f"data: {inputs.source}: {len(inputs.events):,} events")
    with step(args, "computing facts"):
        facts = jobs.build_facts(inputs, config, as_of=getattr(args, "as_of", None))
    say(args, f"facts: {len(facts):,} customers as of {facts.attrs.get('as_of')}")
    tracking = config.tracking
    register = getattr(args, "register", None) or tracking.register_name
    uri = getattr(args, "tracking_uri", None) or tracking.tracking_uri
    champion = find_champion(args, register, uri) if register else None
    names = config.segmentation.names
    if champion is not None and names:
        # with a champion, names are keyed by the stable codes of the exported labels:
        # they are applied once the new sub-segments have their stable ids
        config = config.model_copy(
            update={"segmentation": config.segmentation.model_copy(update={"names": {}})}
        )
    with step(args, "sub-segmenting") as bar:

        def advance(name: str) -> None:
            bar.set_description_str(f"sub-segmenting {name}")
            bar.update(1)

        model = jobs.fit_model(config, facts, progress=advance)
    if champion is not None:
        model = keep_identities(args, model, champion, facts, names)
    run = log_fit(
        model,
        facts,
        experiment=getattr(args, "experiment", None) or tracking.experiment,
        run_name=config.name,
        register=register,
        tracking_uri=uri,
        config=config.model_dump(mode="json"),
        data_report=inputs.report,
        timeout=tracking.timeout,
        max_retries=tracking.max_retries,
    )
    return FitOutcome(inputs, facts, model, run)


def find_champion(args: argparse.Namespace, name: str, uri: str | None) -> Any:
    """The current champion of ``name``, or None when there is none yet."""
    from metaseg.exceptions import ModelNotFoundError
    from metaseg.tracking import load_champion

    try:
        return load_champion(name, tracking_uri=uri)
    except ModelNotFoundError:
        say(args, f"no champion of {name!r} yet: sub-segment ids start fresh")
        return None


def keep_identities(
    args: argparse.Namespace,
    model: Any,
    champion: Any,
    facts: pd.DataFrame,
    names: dict[str, str],
) -> Any:
    """Give sub-segments that match the champion's its ids and names, then the user's names.

    ``names`` are keyed by stable codes (those of the exported labels).
    """
    from dataclasses import replace

    from metaseg._messages import preview
    from metaseg.exceptions import ConfigError, MetasegError
    from metaseg.over_time import apply_identities, match_identities

    try:
        match = match_identities(champion.model, model, facts)
    except MetasegError as exc:
        # e.g. the champion reads a fact this config no longer computes: match on the
        # customers both models labelled instead of re-scoring them with the champion
        say(args, f"identities: cannot score with the champion ({exc}); matching on labels")
        match = match_identities(champion.model, model)
    table = match.table
    say(
        args,
        f"identities against {champion.name} version {champion.version}: "
        f"{int((table['status'] == 'matched').sum())} kept, {len(match.new)} new, "
        f"{len(match.vanished)} vanished",
    )
    model = apply_identities(model, replace(match, names={**match.names, **names}))
    codes = set(model.summary_["segment"])
    unknown = sorted(code for code in names if code not in codes)
    if unknown:
        raise ConfigError(
            f"segmentation.names: no sub-segment has the code(s) {preview(unknown)} after "
            f"matching with {champion.name} version {champion.version}; the codes are "
            f"{preview(sorted(codes), limit=40)}."
        )
    return model
