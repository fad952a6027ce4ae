"""Every `aws <service> <command> --flag` a user is told to type exists in the AWS CLI.

The commands are checked against the CLI's own command tables (the one in .venv/bin/aws,
customizations such as `s3 cp` and `cloudformation deploy` included), so a misspelt
command or flag fails here instead of in a user's first session.
"""

import os
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# Commands that only AWS CLI v2 has; the README says so where it names them.
CLI_V2_ONLY = {("sso", "login")}
COMMAND = re.compile(r"(?<![\w.])aws ([a-z0-9-]+) ([a-z0-9-]+)((?:(?!\baws )[^)`|\n])*)")
FLAG = re.compile(r"(?<![\w-])--([a-z0-9][a-z0-9-]*)")


# What a user reads: documentation, config comments, and messages that name a command.
SOURCES = (
    "README.md",
    "CONTRIBUTING.md",
    "custom_resources/README.md",
    "sample_model/README.md",
    ".taskcat.yml",
    ".taskcat_overrides.example.yml",
    "custom_resources/approved_model_package/package_lookup.py",
    "scripts/aws_credentials.py",
    "scripts/deploy.py",
)


def texts() -> dict[str, str]:
    return {name: (ROOT / name).read_text() for name in SOURCES}


def commands(text: str) -> list[tuple[str, str, list[str]]]:
    """(service, command, flags) of each `aws` call; continued lines joined first."""
    joined = re.sub(r"\\\n\s*(#\s*)?", " ", text)
    found = []
    for match in COMMAND.finditer(joined):
        command, rest = match[2], match[3]
        if command == "wait":  # the waiter's name is the next word
            waiter, _, rest = rest.strip().partition(" ")
            command = f"wait {waiter}"
        found.append((match[1], command, FLAG.findall(rest)))
    return found


# `import awscli` exports AWS_DATA_PATH (its data files) into this process; left there it
# reaches the subprocesses of later tests, where taskcat's own botocore read it and failed.
DATA_PATH_BEFORE = os.environ.get("AWS_DATA_PATH")


@cache
def cli() -> tuple[dict, set[str]]:
    """The CLI's command table and its global flags, the environment left as it was."""
    try:
        from awscli.clidriver import create_clidriver

        driver = create_clidriver()
        return driver._get_command_table(), set(driver._get_argument_table())
    finally:
        if DATA_PATH_BEFORE is None:
            os.environ.pop("AWS_DATA_PATH", None)
        else:
            os.environ["AWS_DATA_PATH"] = DATA_PATH_BEFORE


def arguments(service: str, command: str) -> set[str] | None:
    """The flags of `aws service command`, or None when the CLI has no such command."""
    table, _ = cli()
    if service not in table:
        return None
    top = table[service]
    subcommands = top._get_command_table() if hasattr(top, "_get_command_table") else {}
    subcommands = subcommands or getattr(top, "subcommand_table", {})
    name, _, waiter = command.partition(" ")  # `wait <condition>` is two words
    if name not in subcommands:
        return None
    found = subcommands[name]
    if waiter:
        found = found.subcommand_table.get(waiter)
    return None if found is None else set(found.arg_table)


def every_command() -> list[tuple[str, str, str, list[str]]]:
    found = [(source, *call) for source, text in texts().items() for call in commands(text)]
    return [call for call in found if (call[1], call[2]) not in CLI_V2_ONLY]


def test_the_extraction_sees_commands_and_their_flags():
    text = (
        "```bash\naws sagemaker update-model-package --model-approval-status Approved \\\n"
        "  --model-package-arn <arn>\n"
        'X=$(aws cloudformation describe-stacks --stack-name s --query "Stacks[0]")\n```'
    )
    assert commands(text) == [
        ("sagemaker", "update-model-package", ["model-approval-status", "model-package-arn"]),
        ("cloudformation", "describe-stacks", ["stack-name", "query"]),
    ]


def test_a_wrong_flag_would_be_caught():
    assert "model-package-approval-status" not in arguments("sagemaker", "update-model-package")
    assert arguments("sagemaker", "no-such-command") is None
    assert "stack-name" in arguments("cloudformation", "wait stack-delete-complete")
    assert arguments("cloudformation", "wait stack-gone") is None


def test_the_readme_names_many_commands():
    assert len(every_command()) >= 25


def test_reading_the_cli_leaves_the_environment_as_it_was():
    cli()
    assert os.environ.get("AWS_DATA_PATH") == DATA_PATH_BEFORE


@pytest.mark.parametrize(
    ("source", "service", "command", "flags"),
    every_command(),
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_every_aws_command_and_flag_exists(source, service, command, flags):
    known = arguments(service, command)
    assert known is not None, f"{source}: `aws {service} {command}` is not a CLI command"
    _, global_flags = cli()
    unknown = sorted(set(flags) - known - global_flags)
    assert unknown == [], f"{source}: `aws {service} {command}` has no --{', --'.join(unknown)}"


def test_make_deploy_passes_only_flags_of_cloudformation_deploy():
    from scripts import deploy

    command = deploy.deploy_command("s", "eu-west-1", "b-eu-west-1", "driftgate/", {"A": "1"})
    assert command[3:5] == ["cloudformation", "deploy"]
    flags = {token[2:] for token in command[5:] if token.startswith("--")}
    assert flags - arguments("cloudformation", "deploy") == {"region"}
