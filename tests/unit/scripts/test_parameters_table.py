import pytest

from scripts import parameters_table


def test_readme_table_matches_the_root_template():
    readme = (parameters_table.ROOT / "README.md").read_text()
    table = parameters_table.render(parameters_table.ROOT / "templates" / "pipeline.yml")
    assert parameters_table.refreshed(readme, table) == readme, (
        "README parameters table is stale: run python -m scripts.parameters_table --write"
    )


def test_every_root_parameter_is_in_the_table():
    table = parameters_table.render(parameters_table.ROOT / "templates" / "pipeline.yml")
    from cfnlint.decode import cfn_yaml

    template = cfn_yaml.load(str(parameters_table.ROOT / "templates" / "pipeline.yml"))
    for name in template["Parameters"]:
        assert f"| `{name}` |" in table


def test_a_readme_without_markers_is_refused():
    with pytest.raises(SystemExit, match="no parameters markers"):
        parameters_table.refreshed("# README\n", "| table |\n")
