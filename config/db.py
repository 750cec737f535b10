from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models


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


def id_batches(ids: Iterable[int]) -> Iterator[list[int]]:
    """Sorted, distinct ids in lists short enough to bind as one `IN (...)` each.

    Reading rows by the ids already in hand keeps a query's plan independent of the
    planner's statistics (a semi-join on a subquery went from milliseconds to the
    statement timeout on tables PostgreSQL had not analysed yet); the lists stay under the
    backend's bound-parameter limit (32,766 on SQLite), so a large register costs one
    query more per batch, never an error."""
    limit = connection.features.max_query_params
    size = max(1, (limit or 100_000) - 100)
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]
