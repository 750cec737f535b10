"""Import of agreement registers: upload, 202 with a status address, then the report."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from agreements.models import AgreementImport
from agreements.selectors.agreements import can_import_agreements
from agreements.services.import_jobs import agreement_import_start, agreement_import_status
from config.api import AccordModelSerializer
from config.roles import accord_user


class IsAdministrator(permissions.BasePermission):
    message = "Only administrators import agreement registers."

    def has_permission(self, request: Request, view: Any) -> bool:
        return can_import_agreements(request.user)


class ImportSerializer(AccordModelSerializer[AgreementImport]):
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = AgreementImport
        fields = [
            "id",
            "original_name",
            "dry_run",
            "stop_on_error",
            "status",
            "report",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
            "agreements_written",
        ]
        read_only_fields = fields


class ImportInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="CSV (UTF-8) or XLSX; one row per party.")
    dry_run = serializers.BooleanField(
        default=True, help_text="Only report what would be created, and every row's errors."
    )
    stop_on_error = serializers.BooleanField(
        default=False, help_text="Write nothing at all if any row has an error."
    )


class AgreementImportViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet[AgreementImport],
):
    """Import an existing agreement register (administrators). The upload answers 202 with the
    address of the import; poll it until `status` is `done` or `failed` and read `report` (the
    row errors) or `error` (why the file was refused or the job stopped). A job never stays
    `running`: one whose worker stopped is marked `failed`, with `agreements_written`."""

    serializer_class = ImportSerializer
    filterset_class = None
    parser_classes = [MultiPartParser]

    def get_permissions(self) -> list[permissions.BasePermission]:
        return [*super().get_permissions(), IsAdministrator()]

    def get_queryset(self) -> QuerySet[AgreementImport]:
        return AgreementImport.objects.select_related("created_by").order_by("-created_at")

    def get_object(self) -> AgreementImport:
        # A job whose worker stopped is found (and marked failed) when its status is read.
        return agreement_import_status(job=super().get_object())

    @extend_schema(
        request={"multipart/form-data": ImportInputSerializer},
        responses={202: ImportSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = agreement_import_start(
            by=accord_user(request),
            upload=serializer.validated_data["file"],
            dry_run=serializer.validated_data["dry_run"],
            stop_on_error=serializer.validated_data["stop_on_error"],
        )
        location = reverse("api:agreement-import-detail", args=[job.pk])
        return Response(
            ImportSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )
