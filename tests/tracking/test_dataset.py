"""The training facts as an MLflow dataset: digest, schema and row count without a scan."""

from __future__ import annotations

import json

import pandas as pd

from metaseg.tracking.dataset import facts_dataset, facts_digest


def test_digest_follows_the_content_not_the_object():
    facts = pd.DataFrame({"customer_id": [1, 2, 3], "frequency": [1.0, 4.0, 2.0]})
    assert facts_digest(facts) == facts_digest(facts.copy())
    changed = facts.assign(frequency=[1.0, 4.0, 2.5])
    assert facts_digest(changed) != facts_digest(facts)
    renamed = facts.rename(columns={"frequency": "orders"})
    assert facts_digest(renamed) != facts_digest(facts)


def test_dataset_carries_rows_schema_and_digest():
    from mlflow.types import ColSpec, Schema

    facts = pd.DataFrame({"customer_id": [1, 2, 3], "frequency": [1.0, 4.0, 2.0]})
    schema = Schema([ColSpec("long", "customer_id"), ColSpec("double", "frequency")])
    entity = facts_dataset(facts, schema)._to_mlflow_entity()
    assert json.loads(entity.profile) == {"num_rows": 3, "num_elements": 6}
    assert entity.digest == facts_digest(facts)
    columns = [c["name"] for c in json.loads(entity.schema)["mlflow_colspec"]]
    assert columns == ["customer_id", "frequency"]
