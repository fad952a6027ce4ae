"""A local CodePipeline executor: moto stores pipelines but never runs them.

It runs the pipeline definitions that CloudFormation deployed (their real, resolved
configuration), implements the few action types, rules and keys driftgate uses with
their documented semantics, and refuses everything else by name.
"""

from scripts.emulator.codepipeline.definitions import UnsupportedPipeline
from scripts.emulator.codepipeline.runner import PipelineRunner

__all__ = ["PipelineRunner", "UnsupportedPipeline"]
