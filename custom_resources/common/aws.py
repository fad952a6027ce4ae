"""botocore settings shared by the custom resources.

Every call these functions make answers in milliseconds, so timeouts are short and
botocore's standard retry mode (throttling, 5xx and timeouts, jittered backoff) makes at
most three attempts. Worst case per call: 3 x (2 s connect + 5 s read) + under 3 s of
backoff = 24 s; each handler's docstring sizes the Lambda Timeout from its call count.
"""

from botocore.config import Config

# botocore's `max_attempts` counts retries after the first attempt.
RETRIES = 2
ATTEMPTS = RETRIES + 1
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
WORST_CASE_CALL_SECONDS = ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + READ_TIMEOUT_SECONDS) + 3


def client_config() -> Config:
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "max_attempts": RETRIES},
    )


# InvokeEndpoint (SageMaker Runtime API reference): "A customer's model containers must
# respond to requests within 60 seconds ... the SDK socket timeout should be set to be 70
# seconds". One attempt: a sample request that timed out is not worth sending again.
INFERENCE_READ_TIMEOUT_SECONDS = 70
INFERENCE_WORST_CASE_SECONDS = CONNECT_TIMEOUT_SECONDS + INFERENCE_READ_TIMEOUT_SECONDS


def inference_client_config() -> Config:
    """For sagemaker-runtime InvokeEndpoint: the model may take up to 60 s to answer."""
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=INFERENCE_READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "max_attempts": 0},
    )
