"""The sample model's labelled dataset generator."""

import numpy as np

from scripts import capture_generator, training_data


def test_cli_writes_a_header_with_the_label_first(tmp_path):
    out = tmp_path / "data.csv"
    assert training_data.main(["--out", str(out), "--rows", "40", "--seed", "4"]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].split(",") == ["label", *capture_generator.FEATURE_NAMES]
    assert len(lines) == 41
    assert {line.split(",")[0] for line in lines[1:]} <= {"0", "1"}


def test_same_seed_same_data_other_seed_other_data():
    a = training_data.labelled_frame(200, seed=1)
    b = training_data.labelled_frame(200, seed=1)
    c = training_data.labelled_frame(200, seed=2)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["num_00"], c["num_00"])


def test_label_follows_the_documented_score():
    frame = training_data.labelled_frame(20_000, seed=3)
    high = training_data.label_probability(frame) > 0.8
    low = training_data.label_probability(frame) < 0.2
    assert frame["label"][high].mean() > 0.75
    assert frame["label"][low].mean() < 0.25
