"""No template uses a transform: a macro in a nested template needs CAPABILITY_AUTO_EXPAND
and CloudFormation refuses change sets over nested stacks whose transform reads values
only known at deploy time (README, "Create the stack")."""


def test_no_template_declares_a_transform(templates):
    assert {name for name, t in templates.items() if "Transform" in t} == set()


def test_no_resource_is_generated_by_fn_for_each(templates):
    generated = {
        (name, logical_id)
        for name, template in templates.items()
        for section in ("Resources", "Outputs", "Conditions")
        for logical_id in template.get(section, {})
        if logical_id.startswith("Fn::ForEach::")
    }
    assert generated == set()
