"""Filter pieces every API list shares: strict about values instead of silently ignoring them."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from config.bounds import DATE_VALIDATORS


class StrictFilterSet(django_filters.FilterSet):
    """A parameter given with an empty value is an error, not "no filter": leave it out."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        getlist = getattr(self.data, "getlist", None)
        for name in self.filters:
            values = getlist(name) if getlist else [(self.data or {}).get(name)]
            if any(value is not None and str(value).strip() == "" for value in values):
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid


class IdFilter(django_filters.NumberFilter):
    """A record id: a positive whole number that fits the database's id column."""

    # Ids are whole numbers; the stubs only know NumberFilter's decimals.
    field_class = forms.IntegerField  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class _StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0); anything else is an error rather than "no filter"."""

    widget = forms.TextInput  # NullBooleanSelect would read "2" as true

    # A null boolean field returns None for no value; the stubs give it BooleanField's bool.
    def to_python(self, value: object) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")

    def validate(self, value: object) -> None:
        return None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField


class BoundedDateFilter(django_filters.DateFilter):
    """A date parameter (YYYY-MM-DD) within the dates Accord accepts anywhere."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validators", DATE_VALIDATORS)
        super().__init__(*args, **kwargs)
