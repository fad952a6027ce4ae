"""The README's list of root-stack outputs is the template's, no more and no less."""

import re
from pathlib import Path

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[3]


def readme_outputs() -> set[str]:
    text = (ROOT / "README.md").read_text()
    start = text.index("Outputs of the root stack:")
    paragraph = text[start : text.index("\n\n", start)]
    before_confirm = paragraph.split("Confirm")[0]
    return set(re.findall(r"`([A-Za-z0-9]+)`", before_confirm))


def test_readme_lists_exactly_the_root_outputs():
    template = cfn_yaml.load(str(ROOT / "templates" / "pipeline.yml"))
    assert readme_outputs() == set(template["Outputs"])
