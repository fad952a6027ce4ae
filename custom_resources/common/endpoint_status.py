"""Which DescribeEndpoint statuses mean the endpoint is serving its current config."""

# DescribeEndpoint, EndpointStatus: SystemUpdating is SageMaker's own maintenance, which
# "does not change any customer-specified values" (model, instances, KMS, VPC), so the
# endpoint serves as it did; every other status but InService means it may not.
SERVING_STATUSES = ("InService", "SystemUpdating")
