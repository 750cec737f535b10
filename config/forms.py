"""Form pieces every app's forms share."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db import models

# Whole numbers as people type them on a keyboard: ASCII digits, an optional sign. Python's
# int() would also take "٣" or full-width digits, which no other door (import, API) accepts.
WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*")


class WholeNumberField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not WHOLE_NUMBER.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def accord_formfield(model_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """`Meta.formfield_callback` of Accord's model forms: whole numbers in ASCII digits."""
    if isinstance(model_field, models.IntegerField) and not model_field.choices:
        kwargs.setdefault("form_class", WholeNumberField)
    return model_field.formfield(**kwargs)
