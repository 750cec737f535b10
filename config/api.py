"""API conventions every endpoint follows: role check, pagination, errors, schema, history."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.urls import reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError, StaleVersionError
from config.forms import WHOLE_NUMBER
from config.history import history_entries
from config.roles import accord_user


def _django_validation_to_dict(error: DjangoValidationError) -> dict[str, Any]:
    if hasattr(error, "error_dict"):
        result: dict[str, Any] = {}
        for name, errors in error.message_dict.items():
            result["non_field_errors" if name == "__all__" else name] = list(errors)
        return result
    return {"non_field_errors": list(error.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus the domain's exceptions: 409 for a stale version, 400 otherwise."""
    if isinstance(exc, StaleVersionError):
        body: dict[str, Any] = {
            "detail": exc.message,
            "code": "stale_version",
            "current_version": exc.current,
        }
        # The stale record as it is now: set on the error by a door that knows which record
        # of many was stale (a list of answers), otherwise the view's own record.
        current = getattr(exc, "current_representation", None)
        view = context.get("view")
        if current is None and view is not None and hasattr(view, "current_representation"):
            current = view.current_representation()
        if current is not None:
            body["current"] = current
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DomainError):
        body = exc.as_dict()
        if exc.field_errors:
            body = {**body, "detail": exc.message}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        return Response(_django_validation_to_dict(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # Every error body is an object, so clients can read it one way.
        response.data = {"non_field_errors": response.data}
    return response


class WholeNumberField(serializers.IntegerField):
    """A whole number as a JSON number or in ASCII digits; "٣" or "²" are refused, as in the
    forms and the import (Python's int() would take the first)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and not WHOLE_NUMBER.fullmatch(data):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return super().to_internal_value(data)


class AccordModelSerializer[M: models.Model](serializers.ModelSerializer[M]):
    """The model serializer every Accord endpoint uses: whole numbers read strictly."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{
            field_class: WholeNumberField
            for field_class in (
                models.IntegerField,
                models.SmallIntegerField,
                models.BigIntegerField,
                models.PositiveIntegerField,
                models.PositiveSmallIntegerField,
                models.PositiveBigIntegerField,
            )
        },
    }


class VersionedUpdateSerializerMixin(serializers.Serializer[Any]):
    """Updates must say which version they were based on."""

    version = serializers.IntegerField(
        min_value=1,
        help_text="The version this change is based on, as last read. A stale one answers 409.",
    )


class FieldChangeSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    # A declared field: DRF's metaclass takes it off the class, so it never shadows Field.label.
    label = serializers.CharField()  # type: ignore[assignment]
    old = serializers.CharField()
    new = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    by = serializers.CharField(help_text="Who made the change; `system` for the daily job.")
    action = serializers.ChoiceField(
        choices=["created", "changed", "deleted", "added", "removed"],
        help_text="`created`, `changed`, `deleted` for the record itself; `added`, `changed`, "
        "`removed` for a record that hangs off it (`subject`).",
    )
    subject = serializers.CharField(
        help_text="Empty for the record itself; else the part it is about, e.g. "
        "`Party Jamaica (party)`, `Answer COM-01`, `Evidence file report.pdf (COM-01)`."
    )
    summary = serializers.CharField(
        help_text="The entry as one sentence, e.g. "
        "`Party changed: Jamaica (party) — in force on — → 2024-03-01`."
    )
    reason = serializers.CharField(
        help_text="Why, when the change said so: a transition's note, a legal decision, a "
        "material change; may be empty."
    )
    version = serializers.IntegerField(
        allow_null=True, help_text="The version of the record or part after the change."
    )
    changes = FieldChangeSerializer(many=True)


_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail"],
}
_VALIDATION = {
    "type": "object",
    "description": "Field name (or `non_field_errors`) → list of messages; or `detail`.",
    "additionalProperties": True,
}
_CONFLICT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["stale_version"]},
        "current_version": {"type": "integer", "nullable": True},
        "current": {"type": "object", "additionalProperties": True},
    },
    "required": ["detail", "current_version"],
}


def api_url(context: Mapping[str, Any], name: str, **kwargs: Any) -> str:
    """The absolute URL of an API route, for links in a response (relative without a request)."""
    path = reverse(f"api:{name}", kwargs=kwargs)
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


def attachments_action[F: Callable[..., Any]](
    listed: type[serializers.Serializer[Any]], upload: type[serializers.Serializer[Any]]
) -> Callable[[F], F]:
    """A record's files: GET lists them, a multipart POST adds one (201)."""

    def decorate(view_method: F) -> F:
        method: Any = action(
            detail=True,
            methods=["get", "post"],
            filterset_class=None,
            pagination_class=None,
            parser_classes=[MultiPartParser],
        )(view_method)
        method = extend_schema(
            methods=["POST"],
            request={"multipart/form-data": upload},
            responses={201: listed},
        )(method)
        return cast(
            F,
            extend_schema(methods=["GET"], responses={200: listed(many=True)}, filters=False)(
                method
            ),
        )

    return decorate


class AccordAutoSchema(AutoSchema):
    """Documents the error answers every endpoint can give, so clients can rely on them."""

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors: dict[str, tuple[dict[str, Any], str]] = {
            "401": (_DETAIL, "Not signed in."),
            "403": (_DETAIL, "Signed in without the role or the right to do this."),
        }
        has_input = self.method in {"POST", "PUT", "PATCH"}
        has_filters = self.method == "GET" and (
            bool(self.get_filter_backends()) or bool(self.get_override_parameters())
        )
        if has_input or has_filters:
            errors["400"] = (_VALIDATION, "Invalid input; each field says what is wrong.")
        if has_input:
            errors["415"] = (_DETAIL, "The body is not JSON (`Content-Type: application/json`).")
        if "{" in self.path or has_filters:
            errors["404"] = (_DETAIL, "No such record visible to you (or no such page).")
        if self.method in {"PUT", "PATCH"}:
            errors["409"] = (_CONFLICT, "Based on a stale version; `current` is the record now.")
        if self.view.get_throttles():
            errors["429"] = (
                _DETAIL,
                "Too many requests from your address, or (signing in) too many failed sign-ins "
                "for this username from it; `Retry-After` says how many seconds to wait.",
            )
        errors["503"] = (_DETAIL, "The database is unavailable; `Retry-After` says when to retry.")
        for code, (schema, description) in errors.items():
            if code not in responses:
                responses[code] = {
                    "content": {"application/json": {"schema": schema}},
                    "description": description,
                }
        return responses


class HistoryMixin:
    """Adds `GET …/{id}/history/` to a viewset: the audit history of the record and of the
    parts registered as its children (config.history), newest first. The record is fetched
    with the viewset's own `get_object()`, so scoping is the same."""

    @extend_schema(responses={200: HistoryEntrySerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request: Request, pk: str | None = None) -> Response:
        """Every change to this record and its parts (an agreement's parties, documents and
        reviews; an assessment's answers and evidence files): who, when, which fields, old and
        new values, and why when the change said so."""
        record = self.get_object()  # type: ignore[attr-defined]
        return Response(HistoryEntrySerializer(history_entries(record), many=True).data)


def take_version(changes: dict[str, Any]) -> int:
    """Pop the `version` an update is based on; an update without one is refused."""
    if "version" not in changes:
        raise serializers.ValidationError({"version": ["This field is required."]})
    version: int = changes.pop("version")
    return version


class ServiceCrudMixin:
    """Create and update through the app's services, answer with the read serializer, and give
    the 409 handler the record as it is now. A viewset names its three serializers and
    implements `create_record(by=…, **fields)` and `update_record(record, by=…, version=…,
    **changes)`; `get_object()` stores the record it fetched in `self._record`."""

    read_serializer: type[serializers.Serializer[Any]]
    input_serializer: type[serializers.Serializer[Any]]
    update_serializer: type[serializers.Serializer[Any]]

    if TYPE_CHECKING:

        def create_record(self, **fields: Any) -> Any: ...

        def update_record(self, record: Any, **changes: Any) -> Any: ...

    def get_serializer_class(self) -> type[serializers.Serializer[Any]]:
        return {
            "create": self.input_serializer,
            "update": self.update_serializer,
            "partial_update": self.update_serializer,
        }.get(self.action, self.read_serializer)  # type: ignore[attr-defined]

    def read(self, record: Any) -> dict[str, Any]:
        return self.read_serializer(type(record).objects.get(pk=record.pk)).data

    def current_representation(self) -> dict[str, Any] | None:
        record = getattr(self, "_record", None)
        return self.read(record) if record is not None else None

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.input_serializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        record = self.create_record(by=accord_user(request), **serializer.validated_data)
        return Response(self.read(record), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()  # type: ignore[attr-defined]
        serializer = self.update_serializer(
            record,
            data=request.data,
            partial=kwargs.get("partial", False),
            context={"request": request},
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = take_version(changes)
        self.update_record(record, by=accord_user(request), version=version, **changes)
        return Response(self.read(record))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)


def crud_schema(
    read: type[serializers.Serializer[Any]],
    create: type[serializers.Serializer[Any]],
    update: type[serializers.Serializer[Any]],
) -> Any:
    """The schema of a ServiceCrudMixin viewset: what each write takes and what it answers."""
    return extend_schema_view(
        create=extend_schema(request=create, responses={201: read}),
        update=extend_schema(request=update, responses={200: read}),
        partial_update=extend_schema(request=update, responses={200: read}),
    )


class RecordViewSet(
    ServiceCrudMixin,
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Any],
):
    """List, read, create and update a versioned, audited record through its services, with
    its history; records are never deleted through the API."""
