"""Form pieces every app's forms share: whole numbers read strictly, and sign-in forms that
refuse a locked-out username and address before checking the password."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db import models

from config.signin import client_address, lockout_message, signin_locked_until, signin_refused_log

# Whole numbers as people type them on a keyboard: ASCII digits, an optional sign. Python's
# int() would also take "٣" or full-width digits, which no other door (import, API) accepts.
WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*")


class WholeNumberField(forms.IntegerField):
    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not WHOLE_NUMBER.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def person_label(user: Any) -> str:
    """How a person is offered in a list to choose from: full name, then the username that
    tells two people of one name apart ("María Ortega (maria)")."""
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


class PersonChoiceField(forms.ModelChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PeopleChoiceField(forms.ModelMultipleChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


def accord_formfield(model_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """`Meta.formfield_callback` of Accord's model forms: whole numbers in ASCII digits, and
    people offered by full name."""
    if isinstance(model_field, models.IntegerField) and not model_field.choices:
        kwargs.setdefault("form_class", WholeNumberField)
    related = getattr(model_field, "related_model", None)
    if related is not None and related is get_user_model():
        many = isinstance(model_field, models.ManyToManyField)
        kwargs.setdefault("form_class", PeopleChoiceField if many else PersonChoiceField)
    return model_field.formfield(**kwargs)


class LockoutMixin(forms.Form):
    locked_out = False
    request: Any

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and self.request is not None:
            address = client_address(self.request)
            until = signin_locked_until(username=username, address=address)
            if until is not None:
                self.locked_out = True
                signin_refused_log(username=username, address=address, until=until)
                raise forms.ValidationError(lockout_message(until), code="locked_out")
        cleaned: dict[str, Any] = super().clean() or {}
        return cleaned


class SignInForm(LockoutMixin, AuthenticationForm):
    pass


class AdminSignInForm(LockoutMixin, AdminAuthenticationForm):
    pass
