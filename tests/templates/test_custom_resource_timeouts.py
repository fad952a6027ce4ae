"""A custom resource's ServiceTimeout outlasts its function's own Timeout.

The function answers FAILED before its Timeout (crhelper's timer); ServiceTimeout is only
for a function that cannot answer at all, so it must not cut a slow but answering one
short ("CloudFormation custom resource" reference: ServiceTimeout, 1-3600 seconds)."""

TEMPLATES = ("endpoint.yml", "monitoring.yml", "delivery.yml")


def custom_resources(templates):
    for name in TEMPLATES:
        resources = templates[name]["Resources"]
        for logical_id, resource in resources.items():
            if resource["Type"].startswith("Custom::"):
                yield name, logical_id, resource["Properties"], resources


def test_every_custom_resource_waits_longer_than_its_function_can_run(templates):
    checked = 0
    for name, logical_id, properties, resources in custom_resources(templates):
        function_id = properties["ServiceToken"]["Fn::GetAtt"][0]
        timeout = resources[function_id]["Properties"]["Timeout"]
        service_timeout = properties["ServiceTimeout"]
        assert 1 <= service_timeout <= 3600, (name, logical_id)
        assert service_timeout >= timeout + 30, (name, logical_id, timeout, service_timeout)
        checked += 1
    assert checked == 4
