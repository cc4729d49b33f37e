"""Progress bars: quiet when nobody watches, drawn when asked, callables still called."""

from __future__ import annotations

import io

import pytest

from metaseg._progress import counter, progress_bar, steps, track
from metaseg.exceptions import ConfigError
from metaseg.model import MetaSegmenter


@pytest.fixture(scope="module")
def small_facts():
    from metaseg.datasets import make_shop
    from metaseg.facts import compute_facts

    customers, events, _ = make_shop(n_customers=600, seed=3)
    return compute_facts(events, customers)


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal, as an interactive console does."""

    def isatty(self) -> bool:
        return True


def test_default_bar_is_quiet_off_a_terminal_and_drawn_on_one():
    assert progress_bar(total=2, desc="x", file=io.StringIO()).disable is True
    terminal = _Terminal()
    bar = progress_bar(total=2, desc="scoring", file=terminal)
    assert not bar.disable
    bar.update(2)
    bar.close()
    assert "scoring" in terminal.getvalue()
    # explicit choices win over the stream
    assert progress_bar(total=2, desc="x", file=terminal, progress=False).disable is True
    assert not progress_bar(total=2, desc="x", file=io.StringIO(), progress=True).disable


def test_the_environment_decides_what_the_default_means(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setenv("METASEG_PROGRESS", "off")
    assert progress_bar(total=2, desc="x", file=terminal).disable is True
    # an explicit choice still wins
    assert not progress_bar(total=2, desc="x", file=terminal, progress=True).disable
    monkeypatch.setenv("METASEG_PROGRESS", "on")
    assert not progress_bar(total=2, desc="x", file=io.StringIO()).disable
    monkeypatch.setenv("METASEG_PROGRESS", "sometimes")
    with pytest.raises(ConfigError, match="METASEG_PROGRESS must be one of .*'sometimes'"):
        progress_bar(total=2, desc="x", file=terminal)


def test_fit_is_quiet_when_not_interactive(small_facts, capsys):
    MetaSegmenter(n_bootstrap=0).fit(small_facts)
    assert "sub-segmenting" not in capsys.readouterr().err


def test_fit_draws_a_bar_over_base_segments_when_asked(small_facts, capsys):
    model = MetaSegmenter(n_bootstrap=0).fit(small_facts, progress=True)
    err = capsys.readouterr().err
    n = len(model.segments_)
    assert "sub-segmenting" in err
    assert f" 0/{n} " in err  # the bar counts the base segments


def test_fit_calls_a_callable_with_each_base_segment(small_facts, capsys):
    seen: list[str] = []
    model = MetaSegmenter(n_bootstrap=0).fit(small_facts, progress=seen.append)
    assert seen == list(model.segments_)
    assert capsys.readouterr().err == ""


def test_bad_progress_is_named(small_facts):
    with pytest.raises(ConfigError, match=r"fit: progress must be None .* got str: 'auto'"):
        MetaSegmenter(n_bootstrap=0).fit(small_facts, progress="auto")


def test_helpers_report_every_item(capsys):
    assert list(track([1, 2, 3], "counting", True)) == [1, 2, 3]
    assert "counting" in capsys.readouterr().err
    sent: list[int] = []
    with counter(sent.append, total=5, desc="sending") as advance:
        advance(3)
        advance(2)
    assert sent == [3, 2]
    with counter(True, total=5, desc="sending", unit="labels") as advance:
        advance(5)
    assert "sending" in capsys.readouterr().err
    begun: list[str] = []
    with steps(begun.append, 2, "logging") as step:
        step("a")
        step("b")
    assert begun == ["a", "b"]
    with steps(True, 2, "logging") as step:
        step("a")
        step("b")
    assert "0/2" in capsys.readouterr().err


def test_job_hooks_draw_a_stage_bar_only_when_interactive(capsys):
    from metaseg._progress import stage
    from metaseg.jobs import JobHooks

    with JobHooks().stage("sub-segmenting") as advance:
        advance("active")
    assert capsys.readouterr().err == ""
    with stage("sub-segmenting", progress=True) as advance:
        advance("active")
    assert "sub-segmenting" in capsys.readouterr().err


def test_a_notebook_shows_the_fit_bar_without_a_warning(tmp_path):
    """A real Jupyter kernel: fit with the default progress draws its bar in the cell."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "from metaseg.datasets import make_shop\n"
        "from metaseg.facts import compute_facts\n"
        "from metaseg.model import MetaSegmenter\n"
        "customers, events, _ = make_shop(n_customers=600, seed=3)\n"
        "model = MetaSegmenter(n_bootstrap=0).fit(compute_facts(events, customers))\n"
        "print(len(model.segments_))"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    outputs = notebook.cells[0].outputs
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    widgets = [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert "sub-segmenting" in text or widgets
    assert "IProgress" not in text and "Warning" not in text
