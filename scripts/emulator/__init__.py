"""A local AWS for the demo and the end-to-end tests: moto's server in process, with the
smallest patches that let CloudFormation custom resources run their real handlers."""

from scripts.emulator.failures import ResourceFailed
from scripts.emulator.server import Emulator

__all__ = ["Emulator", "ResourceFailed"]
