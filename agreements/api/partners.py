"""REST API for partners and activity types (/api/v1/)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import permissions, serializers, viewsets

from agreements import services
from agreements.api.fields import VisiblePartnerField
from agreements.filters import ActivityTypeFilter, PartnerFilter, UserFilter
from agreements.models import ActivityType, Partner
from agreements.selectors import (
    partner_for_user,
    partner_list,
)
from config.api import AccordModelSerializer, HistoryEntrySerializer, RecordViewSet, crud_schema
from config.permissions import IsAdministratorOrReadOnly


class UserSummarySerializer(AccordModelSerializer[User]):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.get_username()


class PartnerSerializer(AccordModelSerializer[Partner]):
    """A partner as read."""

    country_name = serializers.CharField(read_only=True, allow_null=True)
    parent_name = serializers.CharField(
        source="parent.name", read_only=True, default=None, allow_null=True
    )
    liaison_officers = UserSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "short_name",
            "kind",
            "country_code",
            "country_name",
            "region",
            "parent",
            "parent_name",
            "status",
            "liaison_officers",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class _LiaisonOfficerField(serializers.PrimaryKeyRelatedField[User]):
    def get_queryset(self) -> Any:
        return User.objects.filter(is_active=True)


class PartnerInputSerializer(AccordModelSerializer[Partner]):
    """A partner as written. Model rules (country code, parent, unique name) run in the service."""

    # A declared field: DRF's metaclass takes it off the class, so it shadows nothing.
    parent = VisiblePartnerField(required=False, allow_null=True)  # type: ignore[assignment]
    liaison_officers = _LiaisonOfficerField(
        many=True,
        required=False,
        help_text="User ids; administrators only. Each must be in the liaison_officer group.",
    )

    class Meta:
        model = Partner
        fields = [
            "name",
            "short_name",
            "kind",
            "country_code",
            "region",
            "parent",
            "status",
            "notes",
            "liaison_officers",
        ]
        # Uniqueness and field combinations are the model's rules, checked once, in the service.
        validators: list[Any] = []
        extra_kwargs = {"name": {"validators": [ProhibitNullCharactersValidator()]}}


class PartnerUpdateSerializer(PartnerInputSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version this change is based on. A stale one answers 409."
    )

    class Meta(PartnerInputSerializer.Meta):
        fields = [*PartnerInputSerializer.Meta.fields, "version"]


@crud_schema(PartnerSerializer, PartnerInputSerializer, PartnerUpdateSerializer)
class PartnerViewSet(RecordViewSet):
    """Partners visible to you: liaison officers see their portfolio, other roles see all.

    Partners are never deleted through the API: set `status` to `inactive`.
    """

    filterset_class = PartnerFilter
    ordering_fields = ["name", "kind", "region", "status", "updated_at"]
    read_serializer = PartnerSerializer
    input_serializer = PartnerInputSerializer
    update_serializer = PartnerUpdateSerializer

    def get_queryset(self) -> Any:
        return partner_list(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer[Any]]:
        if self.action == "history":
            return HistoryEntrySerializer
        return super().get_serializer_class()

    def get_object(self) -> Partner:
        write = self.action in {"update", "partial_update"}
        self._record = partner_for_user(self.request.user, self.kwargs["pk"], write=write)
        return self._record

    def read(self, record: Partner) -> dict[str, Any]:
        return PartnerSerializer(partner_list(self.request.user).get(pk=record.pk)).data

    def create_record(self, **fields: Any) -> Partner:
        return services.partner_create(**fields)

    def update_record(self, record: Partner, **changes: Any) -> Any:
        return services.partner_update(partner=record, **changes)


class ActivityTypeSerializer(AccordModelSerializer[ActivityType]):
    class Meta:
        model = ActivityType
        fields = ["id", "code", "name", "description", "is_active", "version"]
        read_only_fields = ["id", "version"]


class ActivityTypeUpdateSerializer(AccordModelSerializer[ActivityType]):
    version = serializers.IntegerField(
        min_value=1, help_text="The version this change is based on. A stale one answers 409."
    )

    class Meta:
        model = ActivityType
        fields = ["code", "name", "description", "is_active", "version"]


@crud_schema(ActivityTypeSerializer, ActivityTypeSerializer, ActivityTypeUpdateSerializer)
class ActivityTypeViewSet(RecordViewSet):
    """The shared vocabulary of what partners do together. Administrators edit it; retire a type
    with `is_active: false` (records that cite it keep it)."""

    queryset = ActivityType.objects.all()
    filterset_class = ActivityTypeFilter
    ordering_fields = ["name", "code"]
    read_serializer = ActivityTypeSerializer
    input_serializer = ActivityTypeSerializer
    update_serializer = ActivityTypeUpdateSerializer

    def get_permissions(self) -> list[permissions.BasePermission]:
        return [*super().get_permissions(), IsAdministratorOrReadOnly()]

    def get_object(self) -> ActivityType:
        self._record: ActivityType = super().get_object()
        return self._record

    def create_record(self, **fields: Any) -> ActivityType:
        return services.activity_type_create(**fields)

    def update_record(self, record: ActivityType, **changes: Any) -> Any:
        return services.activity_type_update(activity_type=record, **changes)


class UserViewSet(viewsets.ReadOnlyModelViewSet[User]):
    """People in Accord; `?role=liaison_officer` lists those who can hold a portfolio."""

    serializer_class = UserSummarySerializer
    filterset_class = UserFilter
    ordering_fields = ["username", "last_name"]

    def get_queryset(self) -> Any:
        return User.objects.filter(is_active=True).order_by("username")
