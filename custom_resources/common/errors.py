"""Turn AWS errors into FAILED reasons a user can act on.

CloudFormation shows at most 256 characters of a reason (crhelper keeps the last 240 of a
longer one, which cuts off the subject), so every message is built to fit.
"""

from botocore.exceptions import BotoCoreError, ClientError

REASON_LIMIT = 256

ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "SlowDown",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    }
)


class CustomResourceError(Exception):
    """A failure whose message is the FAILED reason sent to CloudFormation."""

    def __init__(self, message: str) -> None:
        super().__init__(fit_reason(message))


def shorten(value: str, limit: int = 80) -> str:
    """Keep both ends of a long value (bucket and file name matter more than the middle)."""
    if len(value) <= limit:
        return value
    half = (limit - 3) // 2
    return f"{value[:half]}...{value[-half:]}"


def fit_reason(message: str) -> str:
    if len(message) <= REASON_LIMIT:
        return message
    return message[: REASON_LIMIT - 3] + "..."


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def aws_failure(action: str, subject: str, error: Exception) -> CustomResourceError:
    """Reason for an AWS call that failed after botocore's retries; `action` is `service:Api`."""
    if isinstance(error, ClientError):
        code = error_code(error)
        if code in ACCESS_DENIED_CODES:
            return CustomResourceError(
                f"access denied: {action} on {shorten(subject)}; "
                f"allow it in the function's role (and kms:Decrypt for a customer key)"
            )
        if code in THROTTLING_CODES:
            return CustomResourceError(
                f"{action} on {shorten(subject)} was throttled on every retry; "
                "retry the stack operation later"
            )
        return CustomResourceError(
            f"{action} on {shorten(subject)} failed: {code}: {shorten(error_message(error), 100)}"
        )
    if isinstance(error, BotoCoreError):
        return CustomResourceError(
            f"{action} on {shorten(subject)} failed after retries: {shorten(str(error), 100)}; "
            "check the function's network access to the AWS endpoint"
        )
    return CustomResourceError(f"{action} on {shorten(subject)} failed: {shorten(str(error), 100)}")
