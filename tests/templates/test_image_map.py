"""The Model Monitor analyzer image map in monitoring.yml matches sagemaker-core's table."""

from importlib import metadata
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from scripts import generate_image_map as gen
from tests.templates.iam_model import conditions_of

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


# A region with SageMaker but none of the three images (review: sagemaker-core lists
# other SageMaker images there, no scikit-learn or analyzer image).
UNMAPPED = "mx-central-1"
IMAGE_RULES = {
    # template -> (rule, mapping it guards, template holding the mapping)
    "build.yml": [(gen.SKLEARN_RULE_NAME, gen.SKLEARN_MAPPING_NAME, "build.yml")],
    "pipeline.yml": [
        (gen.SKLEARN_RULE_NAME, gen.SKLEARN_MAPPING_NAME, "build.yml"),
        (gen.MONITOR_RULE_NAME, gen.MAPPING_NAME, "monitoring.yml"),
    ],
    "stage.yml": [(gen.MONITOR_RULE_NAME, gen.MAPPING_NAME, "monitoring.yml")],
    "monitoring.yml": [(gen.MONITOR_RULE_NAME, gen.MAPPING_NAME, "monitoring.yml")],
}


def _defaults(template) -> dict[str, str]:
    return {n: str(spec.get("Default", "")) for n, spec in template["Parameters"].items()}


def test_the_unmapped_sample_region_is_in_no_map(templates):
    for name, mapping in (
        ("build.yml", gen.SKLEARN_MAPPING_NAME),
        ("monitoring.yml", gen.MAPPING_NAME),
        ("monitoring.yml", gen.PROCESSING_MAPPING_NAME),
    ):
        assert UNMAPPED not in templates[name]["Mappings"][mapping]


@pytest.mark.parametrize("name", sorted(IMAGE_RULES))
def test_each_image_rule_lists_exactly_its_maps_regions(templates, name):
    """Generated with the map: a region added to or dropped from the map moves the rule."""
    for rule, mapping, holder in IMAGE_RULES[name]:
        (assertion,) = templates[name]["Rules"][rule]["Assertions"]
        regions, region = assertion["Assert"]["Fn::Contains"]
        assert region == {"Ref": "AWS::Region"}
        assert regions == sorted(templates[holder]["Mappings"][mapping])


def test_build_refuses_a_region_without_the_image_naming_build_pipeline_false(
    templates, rule_failures
):
    build, root = templates["build.yml"], templates["pipeline.yml"]
    for template in (build, root):
        values = _defaults(template)
        assert rule_failures(template, {**values, "AWS::Region": "eu-west-1"}) == []
        failures = rule_failures(template, {**values, "AWS::Region": UNMAPPED})
        assert failures and all("BuildPipeline=false" in f for f in failures), failures
    # The root without the build pipeline (and the default builtin backend) is fine there.
    values = {**_defaults(root), "BuildPipeline": "false", "AWS::Region": UNMAPPED}
    assert rule_failures(root, values) == []


@pytest.mark.parametrize("name", ["pipeline.yml", "stage.yml", "monitoring.yml"])
def test_model_monitor_is_refused_where_its_analyzer_is_not_published(
    templates, rule_failures, name
):
    template = templates[name]
    values = {**_defaults(template), "AWS::Region": UNMAPPED}
    if "BuildPipeline" in values:
        values["BuildPipeline"] = "false"
    assert rule_failures(template, {**values, "MonitoringBackend": "builtin"}) == []
    failures = rule_failures(template, {**values, "MonitoringBackend": "model-monitor"})
    assert failures and all("MonitoringBackend=builtin" in f for f in failures), failures


def _find_in_maps(node, path=()):
    """(path, mapping name) of every Fn::FindInMap under node."""
    if isinstance(node, dict):
        if "Fn::FindInMap" in node:
            yield path, node["Fn::FindInMap"][0]
        for key, value in node.items():
            yield from _find_in_maps(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _find_in_maps(value, (*path, i))


def _guarded_by(resource, path) -> set[str]:
    """Conditions under which the node at `path` of `resource` is evaluated: the
    resource's Condition and each Fn::If on the way whose true branch holds it."""
    guards = {resource["Condition"]} if "Condition" in resource else set()
    node = resource
    for i, step in enumerate(path):
        if step == "Fn::If" and path[i + 1 : i + 2] == (1,):
            guards.add(node["Fn::If"][0])
        node = node[step]
    return guards


def test_the_monitor_image_lookups_happen_only_where_the_map_has_the_region(templates):
    """monitoring.yml: the Processing image is looked up only under UseProcessing (which
    includes HasProcessingImage) and the analyzer only under UseModelMonitor (guarded by
    the rule), so the default builtin backend creates in any region."""
    template = templates["monitoring.yml"]
    needed = {gen.PROCESSING_MAPPING_NAME: "UseProcessing", gen.MAPPING_NAME: "UseModelMonitor"}
    seen = set()
    for logical_id, resource in template["Resources"].items():
        for path, mapping in _find_in_maps(resource):
            if mapping in needed:
                seen.add(mapping)
                assert needed[mapping] in _guarded_by(resource, path), (logical_id, path)
    assert seen == set(needed)
    use_processing = template["Conditions"]["UseProcessing"]["Fn::And"]
    assert {"Condition": gen.PROCESSING_CONDITION_NAME} in use_processing


def test_has_processing_image_holds_in_exactly_the_maps_regions(templates):
    template = templates["monitoring.yml"]
    regions = set(template["Mappings"][gen.PROCESSING_MAPPING_NAME])
    base = _defaults(template)
    for region in [*sorted(regions), UNMAPPED, "ap-southeast-7"]:
        conditions = conditions_of(template, {**base, "AWS::Region": region})
        assert conditions[gen.PROCESSING_CONDITION_NAME] == (region in regions), region
        assert conditions["UseProcessing"] == (region in regions), region


def test_region_condition_groups_at_most_ten_per_or():
    regions = [f"r-{i}" for i in range(21)]
    block = gen.render_region_condition("C", regions, "  # BEGIN x")
    assert block.count("!Or [") == 2 and "\n  C: !Or\n" in block
    assert "    - !Equals [!Ref AWS::Region, r-20]\n" in block  # a group of one
    assert "  C: !Equals [!Ref AWS::Region, a]\n" in gen.render_region_condition(
        "C", ["a"], "  # BEGIN x"
    )
    with pytest.raises(gen.ImageMapError):
        gen.render_region_condition("C", [], "  # BEGIN x")


def test_every_generated_block_is_current():
    assert gen.main(["--check"]) == 0
