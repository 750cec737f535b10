from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from config.errors import DomainError
from config.forms import AdminSignInForm, RecordsField
from config.models import WorkerHeartbeat

admin.site.site_header = "Accord administration"
admin.site.site_title = "Accord"
admin.site.login_form = AdminSignInForm


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin[WorkerHeartbeat]):
    list_display = ["hostname", "seen_at", "beat_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


class ServiceAdmin(admin.ModelAdmin[Any]):
    """An admin whose saves go through the app's services, like every other door.

    The service runs while the form validates (inside the admin's transaction, in a savepoint),
    so whatever it refuses shows on the form as an error and nothing is written; the admin's
    own `save()` of the object and its many-to-many fields is then skipped. A subclass
    implements `service_create(by, fields, m2m)` and `service_update(record, by, version,
    changes, m2m)` — by default the `create_service` and `update_service` it names, called
    with the form's fields by name (many-to-many fields under their own names, as the services
    take them).
    """

    create_service: Callable[..., Any]
    update_service: Callable[..., Any]
    record_argument: str  # the update service's keyword for the record, e.g. "agreement"

    def service_create(self, *, by: Any, fields: dict[str, Any], m2m: dict[str, Any]) -> Any:
        return type(self).create_service(by=by, **fields, **m2m)

    def service_update(
        self, *, record: Any, by: Any, version: int, changes: dict[str, Any], m2m: dict[str, Any]
    ) -> Any:
        type(self).update_service(
            **{self.record_argument: record}, by=by, version=version, **changes, **m2m
        )
        return record

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form_class = super().get_form(request, obj, change=change, **kwargs)
        return type(
            form_class.__name__,
            (_ServiceFormMixin, form_class),
            {"service_admin": self, "service_user": request.user},
        )

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelMultipleChoiceField[Any] | None:
        kwargs.setdefault("form_class", RecordsField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        return form.saved_record

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Saved by the service while the form was validated."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class _ServiceFormMixin(forms.ModelForm[Any]):
    service_admin: ServiceAdmin
    service_user: Any
    saved_record: Any = None

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # ModelForm's hook, absent from the stubs
        if self.errors:
            return
        names = [n for n in self.cleaned_data if n != "version"]
        m2m_names = {f.name for f in self._meta.model._meta.many_to_many}
        try:
            with transaction.atomic():
                if self.instance._state.adding:
                    self.saved_record = self.service_admin.service_create(
                        by=self.service_user,
                        fields={n: self.cleaned_data[n] for n in names if n not in m2m_names},
                        m2m={n: self.cleaned_data[n] for n in names if n in m2m_names},
                    )
                else:
                    changed = set(self.changed_data)
                    record = type(self.instance)._base_manager.get(pk=self.instance.pk)
                    self.saved_record = self.service_admin.service_update(
                        record=record,
                        by=self.service_user,
                        version=self.cleaned_data.get("version") or record.version,
                        changes={
                            n: self.cleaned_data[n]
                            for n in names
                            if n in changed and n not in m2m_names
                        },
                        m2m={
                            n: self.cleaned_data[n]
                            for n in names
                            if n in m2m_names and n in changed
                        },
                    )
        except ValidationError as refused:
            self._add_refusal(
                refused.message_dict if hasattr(refused, "error_dict") else None, refused.messages
            )
        except DomainError as refused:
            self._add_refusal(refused.field_errors or None, [refused.message])
        except PermissionDenied as refused:
            self.add_error(None, str(refused) or "You may not make this change.")

    def _add_refusal(self, by_field: dict[str, list[str]] | None, messages: list[str]) -> None:
        if not by_field:
            self.add_error(None, " ".join(messages))
            return
        for name, problems in by_field.items():
            target = name if name in self.fields else None
            for problem in problems:
                self.add_error(target, problem if target else f"{name}: {problem}")


# The reminder engine's admin (rules, ledger) lives with it; importing it here registers it
# (the admin autodiscovers `config.admin` only).
from config.reminders import admin as _reminder_admin  # noqa: E402, F401
