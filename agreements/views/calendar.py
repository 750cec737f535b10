"""One partner's calendar feed: the dates of that partner's records, for whoever may read it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from agreements.selectors import partner_for_user
from config.forms import MAX_ID
from config.reminders.feed import feed_body
from config.reminders.views import calendar_response, feed_owner


@require_GET
def partner_feed(request: HttpRequest, token: str, partner_id: int) -> HttpResponse:
    user = feed_owner(token)
    if not 1 <= partner_id <= MAX_ID:
        raise Http404("No such partner.")
    partner = partner_for_user(user, partner_id)
    body = feed_body(
        user, today=timezone.localdate(), name=f"Accord — {partner.name}", partner_id=partner.pk
    )
    return calendar_response(
        body,
        filename=f"accord-partner-{partner.pk}.ics",
    )
