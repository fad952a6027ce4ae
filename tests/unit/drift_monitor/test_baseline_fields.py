"""A baseline field of the wrong JSON type is refused with a BaselineError that names the
file, the feature and the field: never a Python error from inside the run."""

import copy
import json
import random

import pytest
from dm_helpers import VALUES, block, docs_of, mutated, record

from drift_monitor import BaselineError, run_monitor
from drift_monitor.baseline_model import load_baseline


@pytest.fixture
def docs():
    return docs_of(["a", "b", "c"], [[1.0, 2.0, 3.0, 4.0], [10, 20, 30, 40], ["x", "y", "x", "z"]])


def numeric(stats, name="a"):
    return next(f for f in stats["features"] if f["name"] == name)["numerical_statistics"]


def categorical(stats, name="c"):
    return next(f for f in stats["features"] if f["name"] == name)["string_statistics"]


CASES = [
    # (which document, change, words the message must hold)
    ("stats", lambda s, c: numeric(s).update(mean="high"), "feature 'a' numerical_statistics.mean"),
    ("stats", lambda s, c: numeric(s)["common"].update(num_present=2.5), "common.num_present"),
    ("stats", lambda s, c: numeric(s)["common"].update(num_present=-1), ">= 0"),
    ("stats", lambda s, c: numeric(s).update(distribution=[]), "numerical_statistics.distribution"),
    (
        "stats",
        lambda s, c: numeric(s)["distribution"]["kll"]["sketch"].update(data=[["1", "x"]]),
        "kll.sketch.data[0] must hold numbers only",
    ),
    (
        "stats",
        lambda s, c: numeric(s)["distribution"]["kll"]["sketch"].update(data=5),
        "sketch.data",
    ),
    (
        "stats",
        lambda s, c: numeric(s)["distribution"]["kll"].update(
            sketch=None, buckets=[{"count": 3, "lower_bound": 1}]
        ),
        "kll.buckets[0] needs lower_bound and upper_bound",
    ),
    (
        "stats",
        lambda s, c: categorical(s)["distribution"]["categorical"]["buckets"].append({"count": 1}),
        "categorical.buckets[3] has no 'value'",
    ),
    (
        "stats",
        lambda s, c: categorical(s)["distribution"]["categorical"]["buckets"][0].update(count={}),
        "buckets[0].count must be a number",
    ),
    ("stats", lambda s, c: s["features"].append("oops"), "statistics.json features[3] must be an"),
    ("stats", lambda s, c: s.update(dataset={"item_count": "many"}), "dataset.item_count"),
    ("cons", lambda s, c: c["features"][0].update(completeness=[1]), "feature 'a' completeness"),
    ("cons", lambda s, c: c["features"][1].update(num_constraints="yes"), "'b' num_constraints"),
    (
        "cons",
        lambda s, c: c["features"][2]["string_constraints"].update(domains=["x", 1]),
        "'c' string_constraints.domains must be a list of strings",
    ),
    ("cons", lambda s, c: c["features"][2].update(monitoringConfigOverrides=[]), "Overrides must"),
    ("cons", lambda s, c: c["features"].insert(1, 7), "constraints.json features[1] must be an"),
]


@pytest.mark.parametrize("doc, change, words", CASES)
def test_a_field_of_the_wrong_type_is_named(docs, doc, change, words):
    stats, cons = copy.deepcopy(docs)
    change(stats, cons)
    with pytest.raises(BaselineError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_baseline(stats, cons)


def test_the_documents_as_written_still_load_the_same(docs):
    stats, cons = docs
    baseline = load_baseline(stats, cons)
    assert baseline.names == ["a", "b", "c"]
    assert baseline.features[0].num_present == 4
    assert baseline.features[0].edges.size > 0
    assert baseline.features[2].category_probs == {"x": 0.5, "y": 0.25, "z": 0.25}
    # A numeric string is a number, as some writers give them; null is the default.
    numeric(stats)["mean"] = "2.5"
    cons["features"][0]["completeness"] = None
    again = load_baseline(stats, cons)
    assert (again.features[0].mean, again.features[0].completeness) == (2.5, None)


@pytest.mark.parametrize("seed", range(6))
def test_any_field_of_any_type_runs_or_is_a_baseline_error(docs, tmp_path, seed):
    capture = tmp_path / "capture"
    capture.mkdir()
    rows = [record(block(f"{i},{i * 10},{'xyz'[i % 3]}")) for i in range(30)]
    (capture / "f.jsonl").write_text("\n".join(rows) + "\n")
    pick = random.Random(seed)
    refused = 0
    for k in range(40):
        stats, cons = docs
        if k % 2:
            stats = mutated(stats, pick, VALUES, changes=2, into_lists=True)
        else:
            cons = mutated(cons, pick, VALUES, changes=2, into_lists=True)
        (tmp_path / "s.json").write_text(json.dumps(stats))
        (tmp_path / "c.json").write_text(json.dumps(cons))
        try:
            run_monitor(str(capture), str(tmp_path / "s.json"), str(tmp_path / "c.json"), None)
        except BaselineError:
            refused += 1
    assert 0 < refused < 40  # the mutations reach both outcomes
