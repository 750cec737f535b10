"""Field checks that Model.clean(), forms and serializers share."""

from __future__ import annotations

import pycountry
from django.core.exceptions import ValidationError


def country_name(code: str) -> str | None:
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return country.name if country else None


def validate_country_code(value: str) -> None:
    if not value:
        return
    if len(value) != 2 or not value.isalpha() or not value.isupper():
        raise ValidationError(
            "“%(value)s” is not an ISO 3166-1 alpha-2 code: use two capital letters, e.g. CO.",
            code="invalid_country_code",
            params={"value": value},
        )
    if country_name(value) is None:
        raise ValidationError(
            "“%(value)s” is not an ISO 3166-1 country code.",
            code="unknown_country_code",
            params={"value": value},
        )


def validate_language_code(value: str) -> None:
    code = (value or "").strip().lower()
    found = None
    if len(code) == 2:
        found = pycountry.languages.get(alpha_2=code)
    elif len(code) == 3:
        found = pycountry.languages.get(alpha_3=code)
    if found is None:
        raise ValidationError(
            {"language": [f"“{value}” is not an ISO 639 language code (e.g. en, es, fr)."]}
        )
