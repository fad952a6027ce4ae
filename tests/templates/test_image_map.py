"""The Model Monitor analyzer image map in monitoring.yml matches sagemaker-core's table."""

from importlib import metadata
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from scripts import generate_image_map as gen

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def source_table() -> dict[str, tuple[str, str]]:
    return gen.registries(gen.read_source())


def test_map_matches_sagemaker_core(templates, source_table):
    mapping = templates["monitoring.yml"]["Mappings"][gen.MAPPING_NAME]
    in_template = {region: (row["Account"], row["Repository"]) for region, row in mapping.items()}
    assert in_template == source_table


def test_source_has_the_documented_us_east_1_registry(source_table):
    # Anchor on one value from the SageMaker docs so a wrong file cannot pass silently.
    assert source_table["us-east-1"] == ("156813124566", "sagemaker-model-monitor-analyzer")


def test_accounts_are_account_ids(source_table):
    for region, (account, _) in source_table.items():
        assert account.isdigit() and len(account) == 12, region


def test_every_lint_region_is_mapped(templates):
    lint_regions = cfn_yaml.load(str(ROOT / ".cfnlintrc"))["regions"]
    mapping = templates["monitoring.yml"]["Mappings"][gen.MAPPING_NAME]
    assert set(lint_regions) <= set(mapping)


def test_image_uri_is_built_in_the_stack_region(templates):
    # The ECR host comes from AWS::Region, only the account from the map: a row cannot
    # point at another region's registry.
    job = templates["monitoring.yml"]["Resources"]["DataQualityJobDefinition"]
    template_string, variables = job["Properties"]["DataQualityAppSpecification"]["ImageUri"][
        "Fn::Sub"
    ]
    assert template_string == "${Account}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${Repository}"
    for name in ("Account", "Repository"):
        assert variables[name] == {
            "Fn::FindInMap": [gen.MAPPING_NAME, {"Ref": "AWS::Region"}, name]
        }


def test_generated_block_is_current():
    current = gen.TEMPLATE.read_text(encoding="utf-8")
    rendered = gen.render_mapping(gen.registries(gen.read_source()))
    assert gen.replace_block(current, rendered) == current


def test_check_mode_detects_a_stale_map_and_regeneration_fixes_it(tmp_path):
    stale = tmp_path / "monitoring.yml"
    text = gen.TEMPLATE.read_text(encoding="utf-8")
    stale.write_text(text.replace("'156813124566'", "'000000000000'"), encoding="utf-8")
    assert gen.main(["--check", "--template", str(stale)]) == 1
    assert gen.main(["--template", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == text
    assert gen.main(["--check", "--template", str(stale)]) == 0


def test_replace_block_refuses_a_template_without_markers():
    with pytest.raises(gen.ImageMapError, match="markers"):
        gen.replace_block("Mappings: {}\n", gen.render_mapping({"us-east-1": ("1" * 12, "r")}))


@pytest.mark.parametrize(
    "source",
    [{}, {"versions": {}}, {"versions": {"": {"registries": {}, "repository": "r"}}}],
)
def test_registries_rejects_malformed_source(source):
    with pytest.raises(gen.ImageMapError):
        gen.registries(source)


def test_missing_distribution_is_reported(monkeypatch):
    def not_installed(name: str):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(gen.metadata, "distribution", not_installed)
    with pytest.raises(gen.ImageMapError, match="not installed"):
        gen.read_source()


# The build pipeline's scikit-learn image map (build.yml), from sagemaker-core's sklearn.json.


@pytest.fixture(scope="module")
def sklearn_table() -> dict[str, tuple[str, str]]:
    return gen.framework_registries(gen.read_config(gen.SKLEARN_CONFIG_PATH), gen.SKLEARN_VERSION)


def test_sklearn_map_matches_sagemaker_core(templates, sklearn_table):
    mapping = templates["build.yml"]["Mappings"][gen.SKLEARN_MAPPING_NAME]
    in_template = {region: (row["Account"], row["Repository"]) for region, row in mapping.items()}
    assert in_template == sklearn_table


def test_sklearn_source_has_the_documented_us_east_1_registry(sklearn_table):
    assert sklearn_table["us-east-1"] == ("683313688378", "sagemaker-scikit-learn")


def test_every_lint_region_has_the_sklearn_image(templates):
    lint_regions = cfn_yaml.load(str(ROOT / ".cfnlintrc"))["regions"]
    assert set(lint_regions) <= set(templates["build.yml"]["Mappings"][gen.SKLEARN_MAPPING_NAME])


def test_sklearn_image_is_built_in_the_stack_region_with_the_pinned_tag(templates):
    body = templates["build.yml"]["Resources"]["BuildPipeline"]["Properties"]
    variables = body["PipelineDefinition"]["PipelineDefinitionBody"]["Fn::Sub"][1]
    template_string, parts = variables["Image"]["Fn::Sub"]
    assert template_string == (
        "${Account}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/${Repository}:"
        f"{gen.SKLEARN_VERSION}-cpu-py3"
    )
    for name in ("Account", "Repository"):
        assert parts[name] == {
            "Fn::FindInMap": [gen.SKLEARN_MAPPING_NAME, {"Ref": "AWS::Region"}, name]
        }


def test_framework_registries_drops_regions_where_training_and_inference_differ():
    source = {
        scope: {"versions": {"1.0": {"repository": "r", "registries": {"a": "1", "b": b}}}}
        for scope, b in (("training", "2"), ("inference", "3"))
    }
    assert gen.framework_registries(source, "1.0") == {"a": ("1", "r")}
    with pytest.raises(gen.ImageMapError, match=r"no training image '2\.0'"):
        gen.framework_registries(source, "2.0")


def test_check_mode_detects_a_stale_sklearn_map(tmp_path):
    stale = tmp_path / "build.yml"
    text = gen.BUILD_TEMPLATE.read_text(encoding="utf-8")
    stale.write_text(text.replace("'683313688378'", "'000000000000'"), encoding="utf-8")
    args = ["--check", "--build-template", str(stale)]
    assert gen.main(args) == 1
    assert gen.main(["--build-template", str(stale)]) == 0
    assert gen.main(args) == 0 and stale.read_text(encoding="utf-8") == text


def test_the_local_scikit_learn_pin_is_the_images_version():
    # The step scripts are tested locally with the library the image serves them with.
    pins = (ROOT / "requirements" / "dev.txt").read_text().splitlines()
    (pin,) = [line for line in pins if line.startswith("scikit-learn==")]
    major_minor = ".".join(pin.split("==")[1].split(".")[:2])
    assert gen.SKLEARN_VERSION.split("-")[0] == major_minor
