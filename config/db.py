from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


class FieldUniqueConstraint(models.UniqueConstraint):
    """A unique constraint over expressions (e.g. Lower("name")) whose violation is reported
    against one named field, so forms and the API can say which field is at fault."""

    def __init__(self, *expressions: Any, error_field: str, **kwargs: Any) -> None:
        self.error_field = error_field
        super().__init__(*expressions, **kwargs)

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: Any = None) -> None:
        if exclude and self.error_field in exclude:
            return
        kwargs = {} if using is None else {"using": using}
        try:
            super().validate(model, instance, exclude=exclude, **kwargs)
        except ValidationError as error:
            raise ValidationError({self.error_field: error.messages}) from error

    def deconstruct(self) -> tuple[str, Sequence[Any], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        kwargs["error_field"] = self.error_field
        return path, args, kwargs

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, FieldUniqueConstraint)
            and self.error_field == other.error_field
            and super().__eq__(other)
        )

    __hash__ = models.UniqueConstraint.__hash__
