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


class RecordsField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Several records by id. An id that cannot be one (not a whole number, or past the
    largest id a database holds) is refused before any query, which SQLite would answer with
    an overflow."""

    def _check_values(self, value: Any) -> Any:
        key = self.to_field_name or "pk"
        if key == "pk":
            for pk in value:
                text = str(pk)
                if not WHOLE_NUMBER.fullmatch(text) or not 1 <= int(text) <= MAX_ID:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": text[:40]},
                    )
        return super()._check_values(value)  # type: ignore[misc]  # Django's hook, not in the stubs


MAX_ID = 2**63 - 1


def person_label(user: Any) -> str:
    """How a person is offered in a list to choose from: full name, then the username that
    tells two people of one name apart ("María Ortega (maria)")."""
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


class PersonChoiceField(forms.ModelChoiceField[Any]):
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


class PeopleChoiceField(RecordsField):
    def label_from_instance(self, obj: Any) -> str:
        return person_label(obj)


def accord_formfield(model_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """`Meta.formfield_callback` of Accord's model forms: whole numbers in ASCII digits, and
    lists of records that refuse impossible ids, people offered by full name."""
    if isinstance(model_field, models.IntegerField) and not model_field.choices:
        kwargs.setdefault("form_class", WholeNumberField)
    related = getattr(model_field, "related_model", None)
    many = isinstance(model_field, models.ManyToManyField)
    if related is not None and related is get_user_model():
        kwargs.setdefault("form_class", PeopleChoiceField if many else PersonChoiceField)
    elif many:
        kwargs.setdefault("form_class", RecordsField)
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


def remember_loaded_values(form: forms.BaseForm) -> None:
    """An edit form carries the values it was loaded with (Django's hidden initial inputs),
    so that after an edit conflict `typed_values` lists what the user changed, not what
    someone else changed meanwhile."""
    for field in form.fields.values():
        if not isinstance(field.widget, forms.HiddenInput):
            field.show_hidden_initial = True


def typed_values(form: forms.BaseForm) -> dict[str, str]:
    """What the user changed in a valid form, by label, as they would read it back: shown
    next to the fresh form after an edit conflict so nothing typed is lost."""
    shown: dict[str, str] = {}
    for name in form.changed_data:
        if name == "version" or name not in form.cleaned_data:
            continue
        field = form.fields[name]
        value = form.cleaned_data[name]
        if hasattr(value, "all") or isinstance(value, list | tuple):
            items = value.all() if hasattr(value, "all") else value
            text = ", ".join(str(item) for item in items) or "—"
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        elif value in (None, ""):
            text = "—"
        else:
            choices = dict(getattr(field, "choices", []) or [])
            text = str(choices.get(value, value))
        shown[str(field.label or name)] = text
    return shown


def keep_typed[F: forms.BaseForm](stale: forms.BaseForm, fresh: F) -> F:
    """The fresh form to show after an edit conflict, carrying what was typed in the stale one
    (`run_service` records it); templates show it with `stale_values.html`."""
    fresh.stale_values = getattr(stale, "stale_values", None) or {}  # type: ignore[attr-defined]
    return fresh
