"""The exceptions perso raises. Only the CLI turns them into output and exit codes.

* PersoError                 .message, .hint
  + SpecError                spec file unreadable, YAML invalid, variables missing
    - SpecValidationError    .problems: every problem found, each with file:line:col
  + StateError               state unreadable or not writable
    - StateLockedError       .lock: who holds the lock
    - StateConflictError     the state changed since it was read (conditional write failed)
    - StaleStateError        lineage or serial does not match (saved plan or push)
    - StateCorruptError      the stored state is not valid perso state
  + AwsError                 an AWS call failed: names the resource address and the operation
  + PlanError                the plan cannot be made (e.g. prevent_destroy would be violated)
  + ApplyError               .results: what was done, what failed, what was skipped
    - WaitTimeoutError       a resource did not settle in time; re-running apply resumes
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class PersoError(Exception):
    """An error perso can explain to its user."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class SpecError(PersoError):
    """The spec cannot be read or interpreted."""


@dataclass(frozen=True)
class Problem:
    """One problem in a spec file, located precisely enough for an editor to jump to it."""

    file: str
    line: int
    col: int
    path: str  # dotted path inside the document, e.g. "dataset_groups.movielens.solutions.up.recipeArn"
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.path or '<root>'}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class SpecValidationError(SpecError):
    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(f"the spec has {count} problem{'s' if count != 1 else ''}")
        self.problems = problems


class StateError(PersoError):
    """The state cannot be read or written."""


class StateLockedError(StateError):
    def __init__(self, message: str, lock: Any, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.lock = lock


class StateConflictError(StateError):
    """Someone else wrote the state after we read it."""


class StaleStateError(StateError):
    """Lineage or serial do not match what the caller expected."""


class StateCorruptError(StateError):
    """The stored state is not a valid perso state."""


class AwsError(PersoError):
    """An AWS call failed; the message names the resource address and the operation."""

    def __init__(self, message: str, *, address: str | None = None, operation: str | None = None,
                 code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.address = address
        self.operation = operation
        self.code = code


class PlanError(PersoError):
    """The plan cannot be made as asked."""


class ApplyError(PersoError):
    def __init__(self, message: str, results: Any = None, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.results = results


class WaitTimeoutError(PersoError):
    """A resource did not reach a settled status in time; running apply again resumes the wait."""


class PlanFileError(PersoError):
    """A saved plan cannot be used: unreadable, corrupt, foreign or made by a newer perso."""
