"""Policies shared by the pipeline's assets."""

from dagster import Backoff, Jitter, RetryPolicy

#: Transient trouble (a network blip talking to Supabase or GCS; the machine failing under
#: ffmpeg: a full disk, no memory, a killed process, raised as ``MachineFailure``) is retried
#: with backoff. Deterministic problems raise ``Failure(allow_retries=False)`` and fail at once.
TRANSIENT_RETRY = RetryPolicy(max_retries=3, delay=5, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)

GAMES_GROUP = "games"
DATASET_GROUP = "dataset"
