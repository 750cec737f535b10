"""Accord's URLs plus a page and an API endpoint that fail, for the error-page tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request

from config.urls import handler403, handler404, handler500, urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def broken_page(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a page, password=hunter2")


@api_view(["GET"])
@permission_classes([])
def broken_endpoint(request: Request) -> HttpResponse:
    raise RuntimeError("a bug in an endpoint, password=hunter2")


urlpatterns = [
    path("broken/", broken_page),
    path("api/v1/broken/", broken_endpoint),
    *urlpatterns,
]
