from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import PageNumberPagination


class AccordPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = settings.ACCORD_API_MAX_PAGE_SIZE
