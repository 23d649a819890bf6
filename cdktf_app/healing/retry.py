"""Retrying transient failures with exponential backoff and a bound (tenacity); permanent ones never."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_attempt, stop_after_delay, \
    wait_exponential

from .classifier import Classification, classify


class Outcome(Protocol):
    ok: bool
    output: str


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_seconds: float = 2.0
    max_backoff_seconds: float = 30.0
    max_total_seconds: float = 900.0


@dataclass
class Attempt:
    number: int
    seconds: float
    ok: bool
    classification: Classification | None = None
    waited_before: float = 0.0


@dataclass
class Healed:
    outcome: Outcome
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def classification(self) -> Classification | None:
        return self.attempts[-1].classification if self.attempts else None


def run_healed(call: Callable[[], Outcome], policy: RetryPolicy = RetryPolicy(),
               on_retry: Callable[[Attempt, float], None] | None = None) -> Healed:
    """Call until it succeeds, fails permanently, or the policy's bound is reached; every attempt recorded."""
    healed = Healed(outcome=None)  # type: ignore[arg-type]
    pending_wait = [0.0]

    def attempt() -> Outcome:
        started = time.monotonic()
        outcome = call()
        classification = None if outcome.ok else classify(outcome.output)
        healed.attempts.append(Attempt(number=len(healed.attempts) + 1, seconds=time.monotonic() - started,
                                       ok=outcome.ok, classification=classification,
                                       waited_before=pending_wait[0]))
        healed.outcome = outcome
        return outcome

    def should_retry(outcome: Outcome) -> bool:
        last = healed.attempts[-1].classification
        return not outcome.ok and last is not None and last.transient

    def before_sleep(state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        pending_wait[0] = wait
        if on_retry:
            on_retry(healed.attempts[-1], wait)

    retrying = Retrying(
        retry=retry_if_result(should_retry),
        wait=wait_exponential(multiplier=policy.base_seconds, max=policy.max_backoff_seconds),
        stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.max_total_seconds),
        before_sleep=before_sleep,
        retry_error_callback=lambda state: state.outcome.result(),
        reraise=True)
    retrying(attempt)
    return healed
