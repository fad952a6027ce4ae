"""Preprocess, train, evaluate and the inference handlers, run for real on sample data."""

import json
import tarfile

import evaluate
import inference
import numpy as np
import pandas as pd
import preprocess
import pytest
import train

from scripts import capture_generator, training_data


def _archive(model_dir, path):
    with tarfile.open(path, "w:gz") as archive:
        for item in model_dir.iterdir():
            archive.add(item, arcname=item.name)
    return path


@pytest.fixture(scope="module")
def trained(prepared, tmp_path_factory):
    model_dir = tmp_path_factory.mktemp("model")
    auc = train.train(prepared / "train", prepared / "validation", model_dir, c=1.0, max_iter=500)
    return model_dir, auc


def test_dataset_features_are_the_capture_generators():
    frame = training_data.labelled_frame(50, seed=3)
    assert list(frame) == [training_data.LABEL, *capture_generator.FEATURE_NAMES]
    assert set(np.unique(frame["label"])) <= {0.0, 1.0}


def test_preprocess_splits_without_overlap_and_writes_a_label_free_baseline(prepared):
    train_rows = pd.read_csv(prepared / "train" / "train.csv")
    validation = pd.read_csv(prepared / "validation" / "validation.csv")
    test = pd.read_csv(prepared / "test" / "test.csv")
    assert (len(train_rows), len(validation), len(test)) == (2100, 450, 450)
    baseline = pd.read_csv(prepared / "baseline" / "baseline.csv")
    assert list(baseline.columns) == list(capture_generator.FEATURE_NAMES)
    assert len(baseline) == len(train_rows)
    joined = pd.concat([train_rows, validation, test])
    assert not joined.duplicated().any()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no .csv files"),
        ("num_00,label\n1,0\n", "first column must be the label"),
        ("label,num_00\n" + "2,1\n" * 200, "must be 0 or 1"),
        ("label,num_00\n" + "1,1\n" * 10, "too few"),
    ],
)
def test_preprocess_refuses_unusable_input(tmp_path, capsys, content, message):
    folder = tmp_path / "in"
    folder.mkdir()
    if content is not None:
        (folder / "data.csv").write_text(content)
    assert preprocess.main(["--input", str(folder), "--output", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err


def test_training_learns_the_label(trained):
    _, auc = trained
    assert auc > 0.75


def test_training_on_shuffled_labels_learns_nothing(prepared, tmp_path):
    # Control: the same features with the label permuted must score near chance, so the
    # AUC above comes from the features, not from a leak.
    shuffled = tmp_path / "train"
    shuffled.mkdir()
    frame = pd.read_csv(prepared / "train" / "train.csv")
    frame["label"] = np.random.default_rng(0).permutation(frame["label"].to_numpy())
    frame.to_csv(shuffled / "train.csv", index=False)
    auc = train.train(shuffled, prepared / "validation", tmp_path / "model", 1.0, 500)
    assert 0.4 < auc < 0.6


def test_train_main_reads_the_sagemaker_environment(prepared, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SM_CHANNEL_TRAIN", str(prepared / "train"))
    monkeypatch.setenv("SM_CHANNEL_VALIDATION", str(prepared / "validation"))
    monkeypatch.setenv("SM_MODEL_DIR", str(tmp_path / "model"))
    assert train.main(["--C", "0.5"]) == 0
    assert "validation:auc=0." in capsys.readouterr().out
    files = {p.relative_to(tmp_path / "model").as_posix() for p in (tmp_path / "model").rglob("*")}
    assert files == {"model.joblib", "features.json", "code", "code/inference.py"}


def test_evaluation_report_has_the_property_file_path(trained, prepared, tmp_path):
    model_dir, validation_auc = trained
    archive = _archive(model_dir, tmp_path / "model.tar.gz")
    out = tmp_path / "evaluation"
    assert evaluate.main(["--model", str(archive), "--test", str(prepared / "test"),
                          "--output", str(out)]) == 0  # fmt: skip
    report = json.loads((out / "evaluation.json").read_text())
    auc = report["binary_classification_metrics"]["auc"]["value"]
    assert 0.75 < auc < 0.95
    assert abs(auc - validation_auc) < 0.08
    assert report["test_rows"] == 450


def test_inference_serves_capture_style_csv(trained):
    model_dir, _ = trained
    model = inference.model_fn(str(model_dir))
    rows = capture_generator.csv_rows(capture_generator.reference_frame(5, seed=9))
    data = inference.input_fn("\n".join(rows).encode(), "text/csv")
    body, content_type = inference.output_fn(inference.predict_fn(data, model), "text/csv")
    values = [float(v) for v in body.split()]
    assert content_type == "text/csv" and len(values) == 5
    assert all(0.0 <= v <= 1.0 for v in values)


def test_inference_accepts_a_missing_numeric_value_and_an_unseen_category(trained):
    model = inference.model_fn(str(trained[0]))
    fields = capture_generator.csv_rows(capture_generator.reference_frame(1, seed=2))[0].split(",")
    fields[0], fields[4] = "", "unseen"
    assert inference.predict_fn(",".join(fields), model).shape == (1,)


@pytest.mark.parametrize(
    ("body", "message"),
    [("1,2,3\n", "20 comma-separated fields"), ("", "no rows")],
)
def test_inference_refuses_malformed_rows(trained, body, message):
    model = inference.model_fn(str(trained[0]))
    with pytest.raises(ValueError, match=message):
        inference.predict_fn(body, model)


def test_inference_refuses_a_non_numeric_value_by_feature_name(trained):
    model = inference.model_fn(str(trained[0]))
    fields = capture_generator.csv_rows(capture_generator.reference_frame(1, seed=2))[0].split(",")
    fields[1] = "abc"
    with pytest.raises(ValueError, match="num_01 must be numeric"):
        inference.predict_fn(",".join(fields), model)


def test_inference_refuses_other_content_types():
    with pytest.raises(ValueError, match="unsupported content type 'application/json'"):
        inference.input_fn(b"{}", "application/json")
    with pytest.raises(ValueError, match="unsupported accept type"):
        inference.output_fn(np.array([0.5]), "application/json")
