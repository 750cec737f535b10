"""The exception every door translates: a form error or message in the UI, 400/409 in the API."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A broken business rule. `field_errors` names the fields at fault, when there are any."""

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}

    def as_dict(self) -> dict[str, Any]:
        if self.field_errors:
            return dict(self.field_errors)
        return {"detail": self.message}


class StaleVersionError(DomainError):
    """An update was based on a version of the record that is no longer the current one."""

    # What the API's 409 shows as `current`, when the door that caught it can say.
    current_representation: dict[str, Any] | None = None

    def __init__(
        self,
        *,
        instance_label: str,
        expected: int | None,
        current: int | None,
        record: Any = None,
    ):
        super().__init__(
            f"{instance_label} was changed by someone else since you loaded it "
            f"(you edited version {expected}, the current version is {current}). "
            "Review the current values and apply your change again."
        )
        self.expected = expected
        self.current = current
        self.record = record  # the stale record, when one of many was
