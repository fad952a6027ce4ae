"""SageMaker resources keep the names the template gives them.

moto 5.2.5 declares no name property for ``AWS::SageMaker::Endpoint``, ``EndpointConfig``
and ``Model`` (``cloudformation_name_type`` returns ""), so ``EndpointName:
driftgate-staging`` becomes ``<stack>-Endpoint-<random>`` and the contract name
``${ProjectName}-${StageName}`` is lost.
"""

from __future__ import annotations

from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, Model

from scripts.emulator.patches import swap

NAME_PROPERTIES = (
    (FakeEndpoint, "EndpointName"),
    (FakeEndpointConfig, "EndpointConfigName"),
    (Model, "ModelName"),
)


def apply() -> None:
    for model, prop in NAME_PROPERTIES:
        swap.replace(model, "cloudformation_name_type", staticmethod(lambda prop=prop: prop))
