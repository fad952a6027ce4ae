"""taskcat's own Python API against the emulator. Runs in .venv-taskcat (taskcat pins
libraries that conflict with the main environment); test_e2e_taskcat.py starts it with
the emulator's endpoint in AWS_ENDPOINT_URL and fake credentials.

    python taskcat_driver.py <project root> <test name> <regions, comma separated>

Prints one JSON object: the stacks taskcat created (name, region, status) and their
status after taskcat's clean-up.
"""

import json
import sys

from taskcat.testing import CFNTest


def main(project_root: str, test_name: str, regions: str) -> int:
    test = CFNTest.from_file(
        project_root=project_root, input_file=".taskcat.yml", regions=regions, enable_sig_v2=True
    )
    test.test_names = test_name
    test.regions = regions
    test.dont_wait_for_delete = False
    test.lint_disable = True  # cfn-lint runs in `make lint`; this test is about deploying
    with test as stacks:
        created = [
            {"name": s.name, "id": s.id, "region": s.region_name, "status": s.status}
            for s in stacks
        ]
    for stack in test.test_definition.stacks:
        stack.refresh()
    after = {s.id: s.status for s in test.test_definition.stacks}
    print(json.dumps({"created": created, "after_cleanup": after}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
