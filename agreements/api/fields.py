"""Serializer fields shared by the agreements API: related records, scoped to the user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agreements.models import ActivityType, Agreement, Partner
from agreements.selectors import agreements_visible_to, partners_visible_to


@extend_schema_field(OpenApiTypes.STR)
class ActivityCodeField(serializers.SlugRelatedField[ActivityType]):
    """An activity type by its code, e.g. `maritime-interdiction`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self) -> QuerySet[ActivityType]:
        return ActivityType.objects.all()

    def to_internal_value(self, data: Any) -> Any:
        # Checked before the lookup: PostgreSQL refuses NUL in a query parameter outright.
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.INT)
class VisiblePartnerField(serializers.PrimaryKeyRelatedField[Partner]):
    def get_queryset(self) -> QuerySet[Partner]:
        return partners_visible_to(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class VisibleAgreementField(serializers.PrimaryKeyRelatedField[Agreement]):
    def get_queryset(self) -> QuerySet[Agreement]:
        return agreements_visible_to(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class ActiveUserField(serializers.PrimaryKeyRelatedField[User]):
    def get_queryset(self) -> QuerySet[User]:
        return get_user_model().objects.filter(is_active=True)
