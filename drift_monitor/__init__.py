"""driftgate's drift monitor: Model Monitor compatible baselines, checks, reports and metrics."""
