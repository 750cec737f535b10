"""REST API for partners and activity types (/api/v1/)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from agreements import services
from agreements.api.fields import VisiblePartnerField
from agreements.filters import ActivityTypeFilter, PartnerFilter, UserFilter
from agreements.models import ActivityType, Partner
from agreements.selectors import (
    partner_for_user,
    partner_list,
)
from config.api import HistoryEntrySerializer, HistoryMixin, take_version
from config.permissions import IsAdministratorOrReadOnly

User = get_user_model()


class UserSummarySerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, user: Any) -> str:
        return user.get_full_name() or user.get_username()


class PartnerSerializer(serializers.ModelSerializer):
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


class _LiaisonOfficerField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self) -> Any:
        return User.objects.filter(is_active=True)


class PartnerInputSerializer(serializers.ModelSerializer):
    """A partner as written. Model rules (country code, parent, unique name) run in the service."""

    parent = VisiblePartnerField(required=False, allow_null=True)
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


class PartnerViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Partners visible to you: liaison officers see their portfolio, other roles see all.

    Partners are never deleted through the API: set `status` to `inactive`.
    """

    filterset_class = PartnerFilter
    ordering_fields = ["name", "kind", "region", "status", "updated_at"]

    def get_queryset(self) -> Any:
        return partner_list(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "create":
            return PartnerInputSerializer
        if self.action in {"update", "partial_update"}:
            return PartnerUpdateSerializer
        if self.action == "history":
            return HistoryEntrySerializer
        return PartnerSerializer

    def get_object(self) -> Partner:
        write = self.action in {"update", "partial_update"}
        partner = partner_for_user(self.request.user, self.kwargs["pk"], write=write)
        self._partner = partner
        return partner

    def current_representation(self) -> dict[str, Any] | None:
        partner = getattr(self, "_partner", None)
        if partner is None:
            return None
        fresh = partner_list(self.request.user).get(pk=partner.pk)
        return PartnerSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=PartnerInputSerializer, responses={201: PartnerSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PartnerInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        partner = services.partner_create(by=request.user, **serializer.validated_data)
        return Response(self._read(partner), status=status.HTTP_201_CREATED)

    @extend_schema(request=PartnerUpdateSerializer, responses={200: PartnerSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partner = self.get_object()
        partial = kwargs.pop("partial", False)
        serializer = PartnerUpdateSerializer(
            partner, data=request.data, partial=partial, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = take_version(changes)
        partner = services.partner_update(
            partner=partner, by=request.user, version=version, **changes
        )
        return Response(self._read(partner))

    @extend_schema(request=PartnerUpdateSerializer, responses={200: PartnerSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def _read(self, partner: Partner) -> dict[str, Any]:
        fresh = partner_list(self.request.user).get(pk=partner.pk)
        return PartnerSerializer(fresh, context=self.get_serializer_context()).data


class ActivityTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityType
        fields = ["id", "code", "name", "description", "is_active", "version"]
        read_only_fields = ["id", "version"]


class ActivityTypeUpdateSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The version this change is based on. A stale one answers 409."
    )

    class Meta:
        model = ActivityType
        fields = ["code", "name", "description", "is_active", "version"]


class ActivityTypeViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The shared vocabulary of what partners do together. Administrators edit it; retire a type
    with `is_active: false` (records that cite it keep it)."""

    queryset = ActivityType.objects.all()
    filterset_class = ActivityTypeFilter
    ordering_fields = ["name", "code"]

    def get_permissions(self) -> list[permissions.BasePermission]:
        return [*super().get_permissions(), IsAdministratorOrReadOnly()]

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in {"update", "partial_update"}:
            return ActivityTypeUpdateSerializer
        return ActivityTypeSerializer

    def current_representation(self) -> dict[str, Any] | None:
        instance = ActivityType.objects.filter(pk=self.kwargs.get("pk")).first()
        return ActivityTypeSerializer(instance).data if instance else None

    @extend_schema(request=ActivityTypeSerializer, responses={201: ActivityTypeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ActivityTypeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        activity_type = services.activity_type_create(by=request.user, **serializer.validated_data)
        return Response(ActivityTypeSerializer(activity_type).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActivityTypeUpdateSerializer, responses={200: ActivityTypeSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        activity_type = self.get_object()
        serializer = ActivityTypeUpdateSerializer(
            activity_type, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = take_version(changes)
        activity_type = services.activity_type_update(
            activity_type=activity_type, by=request.user, version=version, **changes
        )
        return Response(ActivityTypeSerializer(activity_type).data)

    @extend_schema(request=ActivityTypeUpdateSerializer, responses={200: ActivityTypeSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """People in Accord; `?role=liaison_officer` lists those who can hold a portfolio."""

    serializer_class = UserSummarySerializer
    filterset_class = UserFilter
    ordering_fields = ["username", "last_name"]

    def get_queryset(self) -> Any:
        return User.objects.filter(is_active=True).order_by("username")
