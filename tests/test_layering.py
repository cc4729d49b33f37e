"""One direction: a stage of metaseg imports only itself and the stages below it.

Every ``import`` in the package is read, including those inside functions (they are
still dependencies, only deferred), and compared with the order below. A new module
must be given its place here; the test says which one is missing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "metaseg"

#: Modules every stage may use: messages, errors, schema, YAML and file helpers.
FOUNDATION = (
    "exceptions",
    "_messages",
    "_yaml",
    "_paths",
    "_io",
    "_params",
    "schema",
    "provenance",
    "display",
    "_progress",
    "_frames",
    "_texts",
)

#: The stages, lowest first: the flow of a segmentation, then the edges that do I/O.
#: Modules on one line share a rank and must not import each other.
STAGES: tuple[tuple[str, ...], ...] = (
    FOUNDATION,
    ("data",),  # read and validate events and customers
    ("facts", "datasets"),  # one row per customer; shops to try it on
    ("clv",),  # potential value: BG/NBD and Gamma-Gamma facts
    ("rules",),  # base segments
    ("features",),  # per-segment matrices
    ("cluster", "stability", "recovery"),  # sub-segments, their stability and recovery
    (
        "profile",
        "fact_reference",
        "renumber",
        "alignment",
        "edits",
        "explain",
    ),  # profiles; facts at fit time; renumbering; edit steps; explanations
    # the validated segmentation block; the report page; what one base segment learned
    ("segmentation_spec", "report", "fitted_segment"),
    ("model_inputs", "segment_fit"),  # input checks, events to facts; the per-segment fit
    ("model",),  # MetaSegmenter
    ("over_time",),  # identities, drift, campaigns (pure)
    ("export",),  # labels to files, SQL, webhooks
    ("plots",),  # figures
    ("tracking",),  # MLflow runs, registry, gates
    ("config",),  # the whole job configuration
    ("batch_score",),  # scoring a batch of customers at a time
    ("jobs", "spark"),  # jobs shared by the command line and notebooks
    ("cli",),  # argument parsing and printing only
)
RANK = {name: rank for rank, names in enumerate(STAGES) for name in names}
#: Downward imports that are still refused: tracking records runs and receives the
#: figures and the report page to log as callbacks (``log_fit(plots=metaseg.plots.save_all,
#: report=metaseg.report.write_report)``).
FORBIDDEN: frozenset[tuple[str, str]] = frozenset({("tracking", "plots"), ("tracking", "report")})


def _unit(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "metaseg" and len(parts) > 1:
                found.add(parts[1])
    return found


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _unit(path)
        if source == "__init__":  # the package root may re-export anything
            continue
        for target in _imports(path) - {source}:
            edges.setdefault((source, target), []).append(str(path.relative_to(PACKAGE)))
    return edges


def test_every_module_has_a_place_in_the_order():
    units = {_unit(p) for p in PACKAGE.rglob("*.py")} - {"__init__", "__main__"}
    missing = sorted(units - set(RANK))
    assert not missing, f"add {missing} to STAGES in {Path(__file__).name}"


def test_no_stage_imports_a_higher_or_sibling_stage():
    wrong = [
        f"{source} (rank {RANK[source]}) imports {target} (rank {RANK[target]}) in {files}"
        for (source, target), files in _edges().items()
        if source in RANK
        and target in RANK
        and RANK[target] >= RANK[source]
        and not (RANK[source] == 0 and RANK[target] == 0)
    ]
    assert not wrong, "\n".join(wrong)


def test_forbidden_downward_imports_stay_absent():
    found = {pair: files for pair, files in _edges().items() if pair in FORBIDDEN}
    assert not found, found


def test_foundation_modules_have_no_cycle():
    graph: dict[str, set[str]] = {}
    for source, target in _edges():
        if RANK.get(source) == 0 and RANK.get(target) == 0:
            graph.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cyclic = [name for name in graph if reaches(name, name, {name})]
    assert not cyclic, cyclic


@pytest.mark.parametrize(
    ("source", "target"),
    [("model", "tracking"), ("over_time", "tracking"), ("tracking", "cli"), ("data", "rules")],
)
def test_the_check_would_catch_an_upward_import(source, target):
    assert RANK[target] > RANK[source]
