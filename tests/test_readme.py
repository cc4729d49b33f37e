"""README's Python example runs as written (a newcomer copies it first)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _block_after(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n{heading}\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match, f"no python block after {heading!r} in README"
    return match.group(1)


def test_the_notebook_example_runs_and_its_edits_hold():
    namespace: dict = {}
    code = compile(_block_after("## In a notebook"), "README.md", "exec")
    exec(code, namespace)  # our own documentation, not user input
    model, facts = namespace["model"], namespace["facts"]
    names = dict(zip(model.summary_["segment"], model.summary_["segment_name"], strict=True))
    assert names["champions/0"] == "VIPs"
    assert "Quiet loyals" in names.values()
    assert [edit["edit"] for edit in model.edits()] == ["merge", "split", "rename"]
    labels = model.predict(facts)
    assert labels["segment"].tolist() == model.labels_["segment"].tolist()
