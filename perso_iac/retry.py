"""Retries of throttled and transient AWS calls, for every client perso builds.

botocore's own retries give up too early for Personalize: its control plane allows a few calls
per second per API, a plan of a large stack bursts far above that, and botocore's standard mode
stops after a few attempts and a shared retry quota (at a 50 % throttle rate, one plan in four
failed). perso retries throttling and transient faults itself, through botocore's `needs-retry`
event (botocore sleeps the delay we return), with full-jitter exponential backoff and many more
attempts; quota and validation errors are never retried.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

THROTTLING_CODES = frozenset({
    "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded",
    "SlowDown", "RequestThrottled", "RequestThrottledException", "ProvisionedThroughputExceededException",
    "ThrottledException",  # the Resource Groups Tagging API's
})
TRANSIENT_CODES = frozenset({"InternalFailure", "InternalServerError", "InternalServiceException",
                             "ServiceUnavailable", "RequestTimeout"})


@dataclass
class RetryPolicy:
    """Full-jitter exponential backoff: attempt n waits a random time in [0, min(cap, base * 2**n)].

    `base` scales every delay: 1 s against AWS; tests and `--local` scale it down with the
    emulator's clock (PERSO_RETRY_BASE)."""

    max_attempts: int = 15
    base: float = 1.0
    cap: float = 20.0
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(base=float(os.environ.get("PERSO_RETRY_BASE", "1.0")))

    def delay(self, attempts: int) -> float:
        return self.rng.uniform(0, min(self.cap, self.base * 2 ** (attempts - 1)))

    def needs_retry(self, response: Any = None, attempts: int = 1, caught_exception: Any = None,
                    **_: Any) -> float | None:
        """The `needs-retry` handler: seconds to sleep before the next attempt, or None to stop."""
        if attempts >= self.max_attempts or not retryable(response, caught_exception):
            return None
        return self.delay(attempts)


def retryable(response: Any, caught_exception: Any) -> bool:
    """Throttling, a 5xx, or a connection that failed before an answer."""
    if caught_exception is not None:
        return isinstance(caught_exception, BotoConnectionError | HTTPClientError)
    if not response:
        return False
    http, parsed = response
    code = (parsed or {}).get("Error", {}).get("Code", "")
    return code in THROTTLING_CODES or code in TRANSIENT_CODES or http.status_code in (500, 502, 503, 504)


def install(client: Any, policy: RetryPolicy) -> Any:
    """Let `policy` decide the retries of every call `client` makes."""
    client.meta.events.register("needs-retry", policy.needs_retry, unique_id="perso-retry")
    return client
