"""Where a window runs: in the scheduled Lambda, or as a sharded SageMaker Processing job.

The estimate is the window's listed capture bytes over a measured throughput. The
default throughput is what ``make bench`` measured for one thread (the Lambda's share
of a vCPU below 1,769 MB) on SageMaker-shaped capture on the slowest payload paths
(JSON, quoted CSV: the benchmark's hidden-cost table, in MB/s), not the plain-CSV
path, which is 5-7 times faster; ``DRIFTGATE_BYTES_PER_SECOND`` overrides it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# make bench (2-core host shared with other jobs), driftgate pinned to one thread on
# ~456-byte SageMaker capture lines of 20 features: 370,000-530,000 rows/s (170-240 MB/s)
# at 1M rows on the plain-CSV path; quoted CSV and JSON payloads 19-24 MB/s at load 3-4
# and 33-41 MB/s at load ~2 (two runs). The default sits at the slow paths' rate under
# load, so a window of JSON or quoted capture the router keeps in the Lambda is not
# estimated faster than it runs (and half the timeout is margin on top). A later run on a
# quiet host measured quoted CSV at 18 MB/s: up to 1.1x the estimate, well inside that
# margin; and a Lambda stopped by its timeout sends the window to Processing on the next
# run (scheduled.lambda_attempt_died).
DEFAULT_BYTES_PER_SECOND = 20_000_000
# A window runs in Lambda when its estimate is at most this share of the timeout: the
# rest covers listing, baseline reading, the outputs and S3's variance.
LAMBDA_TIMEOUT_SHARE = 0.5
# Each Processing instance gets about this much estimated work (one Lambda's budget at
# the 900 s maximum timeout): more instances for bigger windows, up to the cap.
INSTANCE_TARGET_S = 450.0

LAMBDA, PROCESSING = "lambda", "processing"


@dataclass(frozen=True)
class Route:
    target: str  # LAMBDA or PROCESSING
    estimated_s: float  # single-process estimate of the window's parse and profile
    instances: int  # Processing instances (1 for LAMBDA)
    capture_bytes: int
    files: int

    def as_dict(self) -> dict[str, object]:
        return {
            "route": self.target,
            "estimated_s": round(self.estimated_s, 1),
            "instances": self.instances,
            "capture_bytes": self.capture_bytes,
            "files": self.files,
        }


def plan_route(
    capture_bytes: int,
    files: int,
    timeout_s: float,
    max_instances: int,
    bytes_per_second: float = DEFAULT_BYTES_PER_SECOND,
) -> Route:
    """LAMBDA when the estimate fits in the timeout with margin (or Processing is off,
    ``max_instances`` 0); otherwise PROCESSING on enough instances, at most
    ``max_instances`` and never more than there are files (``ShardedByS3Key`` shards by
    object)."""
    if bytes_per_second <= 0:
        raise ValueError("bytes_per_second must be positive")
    estimated = capture_bytes / bytes_per_second
    if max_instances < 1 or estimated <= LAMBDA_TIMEOUT_SHARE * timeout_s or files < 1:
        return Route(LAMBDA, estimated, 1, capture_bytes, files)
    wanted = math.ceil(estimated / INSTANCE_TARGET_S)
    instances = max(1, min(wanted, max_instances, files))
    return Route(PROCESSING, estimated, instances, capture_bytes, files)
