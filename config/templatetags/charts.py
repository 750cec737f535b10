"""`{% load charts %}` then `{{ svg|chart }}`: a chart from config.charts, inline in a page;
`{{ svg|chart_image:"Heat map" }}`: the same chart as an image, for a PDF."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from config.charts import inline_svg, svg_image

register = template.Library()


@register.filter
def chart(svg: str) -> SafeString:
    return inline_svg(svg)


@register.filter
def chart_image(svg: str, alt: str = "") -> SafeString:
    return svg_image(svg, alt=alt)
