"""Sign-in forms that refuse a locked-out username and address before checking the password."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from config.signin import client_address, lockout_message, signin_locked_until, signin_refused_log


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
        return super().clean()


class SignInForm(LockoutMixin, AuthenticationForm):
    pass


class AdminSignInForm(LockoutMixin, AdminAuthenticationForm):
    pass
