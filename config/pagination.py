from __future__ import annotations

from functools import partial
from typing import Any, cast

from django.conf import settings
from django.core.paginator import Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView


class CountedPaginator(Paginator[Any]):
    """A paginator told how many objects there are (a count stored beforehand), so paging a
    large result never counts it again."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # what the cached `count` property would compute


class AccordPagination(PageNumberPagination):
    """`?page=N&page_size=M`; a page size above the maximum is served at the maximum, and one
    that is not a positive whole number is refused rather than silently ignored."""

    page_size_query_param = "page_size"
    max_page_size = settings.ACCORD_API_MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError(
                {"page_size": [f"Must be a whole number from 1 to {self.max_page_size}."]}
            )
        return min(size, self.max_page_size)

    def paginate_counted(
        self, queryset: Any, request: Request, view: APIView | None, *, count: int | None
    ) -> list[Any] | None:
        """A page of `queryset`, whose size is `count` when the caller knows it (None: count
        it)."""
        if count is not None:
            counted = partial(CountedPaginator, count=count)
            self.django_paginator_class = cast("type[Paginator[Any]]", counted)
        return self.paginate_queryset(queryset, request, view)

    def get_page_number(self, request: Request, paginator: object) -> int | str:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not raw.isdigit() or int(raw) < 1:
            raise ValidationError({"page": ["Must be a page number: a whole number from 1."]})
        return int(raw)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page (default {self.page_size}, at most {self.max_page_size})."
                )
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters
