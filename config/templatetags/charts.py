"""`{% load charts %}` then `{{ svg|chart }}`: a chart from config.charts, inline in a page."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from config.charts import inline_svg

register = template.Library()


@register.filter
def chart(svg: str) -> SafeString:
    return inline_svg(svg)
