"""The engagements list: every planned or past engagement with the partners you can see."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from agreements.filters import EngagementFilter
from agreements.models import Engagement
from agreements.selectors import activity_types, engagements_visible_to, partners_visible_to
from config.sorting import sort_rows
from config.views import list_page, role_required, without_blanks

ENGAGEMENT_COLUMNS = {
    "starts": ["starts_on", "title"],
    "title": ["title", "starts_on"],
    "partner": ["partner__name", "starts_on"],
    "activity": ["activity_type__name", "starts_on"],
    "ends": ["ends_on", "title"],
    "location": ["location", "starts_on"],
}


@role_required
def engagement_list_page(request: HttpRequest) -> HttpResponse:
    rows = engagements_visible_to(request.user).select_related("partner", "activity_type")
    engagement_filter = EngagementFilter(without_blanks(request.GET), queryset=rows)
    rows = engagement_filter.qs if engagement_filter.is_valid() else Engagement.objects.none()
    rows, sorting = sort_rows(request, rows, columns=ENGAGEMENT_COLUMNS, default="-starts")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": engagement_filter,
        "page": page,
        "sorting": sorting,
        "query": query.urlencode(),
        "partners": partners_visible_to(request.user).order_by("name").only("pk", "name"),
        "activity_types": activity_types(include_inactive=True).order_by("name"),
        "today": timezone.localdate(),
    }
    return list_page(
        request,
        page="agreements/engagement_list.html",
        fragment="agreements/_engagement_table.html",
        context=context,
    )
