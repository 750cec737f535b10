"""Writes for the checklist library: loading versioned templates from YAML."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from checklists.exceptions import ChecklistsError
from checklists.models import Area, ChecklistItem, ChecklistTemplate, Criticality
from checklists.selectors import can_publish_templates
from config.bounds import DATE_RANGE_MESSAGE, date_in_range

TEMPLATE_FIELDS = {"urn", "version", "title", "provider", "published_on", "description", "items"}
ITEM_FIELDS = {
    "code",
    "area",
    "requirement",
    "guidance",
    "typical_evidence",
    "weight",
    "criticality",
}


@dataclass(frozen=True)
class LoadResult:
    template: ChecklistTemplate
    created: bool


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(f"- {str(v).strip()}" for v in value)
    return str(value).strip()


class _RefusedYAML(yaml.YAMLError):
    """A document refused for its shape before it is built: aliases, too many nodes, too deep."""


#: libyaml's parser when it is installed (it is with PyYAML's wheels): many times faster.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_shape(content: str | bytes) -> None:
    """Walk the document's parse events before anything is built: refuse aliases, and more
    nodes or deeper nesting than the limits.

    A template never needs aliases, and they are how a 600-byte file ("billion laughs")
    expands to gigabytes. With aliases refused and nodes and depth capped, building the
    document costs at most in proportion to the file's size."""
    nodes = depth = 0
    max_nodes, max_depth = settings.ACCORD_TEMPLATE_MAX_NODES, settings.ACCORD_TEMPLATE_MAX_DEPTH
    for event in yaml.parse(content, Loader=SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise _RefusedYAML(
                f"Line {line}: aliases (*{event.anchor}) are not accepted in templates; write "
                "the value out in full."
            )
        if isinstance(event, yaml.NodeEvent):
            nodes += 1
            if nodes > max_nodes:
                raise _RefusedYAML(
                    f"The document has more than {max_nodes:,} values "
                    "(ACCORD_TEMPLATE_MAX_NODES); a template has a few thousand."
                )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise _RefusedYAML(
                    f"The document is nested more than {max_depth} levels deep "
                    "(ACCORD_TEMPLATE_MAX_DEPTH); a template has three."
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _load_yaml(content: str | bytes) -> Any:
    size = len(content.encode() if isinstance(content, str) else content)
    limit = settings.ACCORD_IMPORT_MAX_BYTES
    if size > limit:
        raise ChecklistsError(
            "The template file is too large.",
            field_errors={"file": [f"The file is {size:,} bytes; the limit is {limit:,} bytes."]},
        )
    try:
        _check_shape(content)
        return yaml.load(content, Loader=SafeLoader)
    except _RefusedYAML as error:
        raise ChecklistsError(
            "The template is refused.", field_errors={"file": [str(error)]}
        ) from None
    except yaml.YAMLError as error:
        raise ChecklistsError(
            "The template is not valid YAML.", field_errors={"file": [str(error)]}
        ) from None
    except (ValueError, TypeError, OverflowError) as error:
        # A tagged or date-like value YAML cannot build, e.g. `published_on: 2024-02-30` or
        # `!!int abc`.
        raise ChecklistsError(
            "The template holds a value YAML cannot read.",
            field_errors={"file": [f"A value cannot be read: {str(error)[:200]}"]},
        ) from None


#: The longest text the model keeps, per template field and per item field.
TEMPLATE_TEXT_LIMITS = {"urn": 200, "title": 200, "provider": 200}
ITEM_TEXT_LIMITS = {"code": 40}
MAX_VERSION = 1_000_000
# Item fields that are one piece of text (guidance and typical evidence may be lists).
SCALAR_ITEM_FIELDS = frozenset({"code", "area", "criticality", "requirement"})


def _text_problem(value: Any, limit: int | None, *, scalar: bool = False) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list, set)):
        return "Must be text, not a list or a mapping." if scalar else None
    text = str(value)
    if "\x00" in text:
        return "Contains a NUL character."
    if limit is not None and len(text.strip()) > limit:
        return f"{len(text.strip()):,} characters long; the limit is {limit}."
    return None


def parse_template(content: str | bytes) -> dict[str, Any]:
    """Read and check a template document; every problem is named by item and field."""
    document = _load_yaml(content)
    if not isinstance(document, dict):
        raise ChecklistsError(
            "A template is a mapping with urn, version, title, provider and items.",
            field_errors={"file": ["The document is not a mapping."]},
        )
    errors: dict[str, list[str]] = {}

    def fail(where: str, message: str) -> None:
        errors.setdefault(where, []).append(message)

    for name in ("urn", "version", "title", "provider", "items"):
        if document.get(name) in (None, "", []):
            fail(name, "This field is required.")
    for name in sorted(set(document) - TEMPLATE_FIELDS):
        fail(name, "Unknown field.")
    for name in ("urn", "title", "provider", "description"):
        problem = _text_problem(document.get(name), TEMPLATE_TEXT_LIMITS.get(name), scalar=True)
        if problem:
            fail(name, problem)
    version = document.get("version")
    if version is not None and (
        not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_VERSION
    ):
        shown = str(version)[:40]
        fail(
            "version",
            f"“{shown}” is not a version number (a whole number from 1 to {MAX_VERSION:,}).",
        )
    published = document.get("published_on")
    if isinstance(published, datetime):
        fail("published_on", "A publication date is a date (YYYY-MM-DD), not a date and time.")
    elif published is not None and not isinstance(published, date):
        try:
            date.fromisoformat(str(published))
        except ValueError:
            fail("published_on", f"“{published}” is not a date (YYYY-MM-DD).")
    elif isinstance(published, date) and not date_in_range(published):
        fail("published_on", DATE_RANGE_MESSAGE)
    items = document.get("items")
    if items is not None and (not isinstance(items, list) or not items):
        fail("items", "Items are a list of at least one item.")
    if not isinstance(items, list):
        items = []
    seen: dict[str, int] = {}
    areas, criticalities = set(Area.values), set(Criticality.values)
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            fail(f"items[{index}]", "An item is a mapping.")
            continue
        label = f"items[{index}] ({str(item.get('code', 'no code'))[:40]})"
        for name in ("code", "area", "requirement", "criticality"):
            if not item.get(name):
                fail(f"{label}.{name}", "This field is required.")
        for name in sorted(set(item) - ITEM_FIELDS):
            fail(f"{label}.{name}", "Unknown field.")
        for name in ("code", "area", "criticality", "requirement", "guidance", "typical_evidence"):
            problem = _text_problem(
                item.get(name), ITEM_TEXT_LIMITS.get(name), scalar=name in SCALAR_ITEM_FIELDS
            )
            if problem:
                fail(f"{label}.{name}", problem)
        code = str(item.get("code") or "")
        if code in seen:
            fail(f"{label}.code", f"Duplicate code: item {seen[code]} has it too.")
        elif code:
            seen[code] = index
        if isinstance(item.get("area"), str) and item["area"] not in areas:
            fail(
                f"{label}.area",
                f"Unknown area “{item['area']}”; use one of {', '.join(sorted(areas))}.",
            )
        if isinstance(item.get("criticality"), str) and item["criticality"] not in criticalities:
            fail(f"{label}.criticality", f"“{item['criticality']}” is not high, medium or low.")
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 10:
            fail(
                f"{label}.weight",
                f"Weight “{str(weight)[:40]}” is out of range: a whole number 1–10.",
            )
    if errors:
        raise ChecklistsError("The template has errors.", field_errors=errors)
    return document


def _fingerprint(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def template_load(*, content: str | bytes, source_name: str = "") -> LoadResult:
    """Publish a template version. Loading the same content again changes nothing; different
    content under a published urn + version is refused: a change is a new version."""
    document = parse_template(content)
    fingerprint = _fingerprint(document)
    existing = ChecklistTemplate.objects.filter(
        urn=document["urn"], version=document["version"]
    ).first()
    if existing is not None:
        if existing.content_sha256 == fingerprint:
            return LoadResult(existing, created=False)
        raise ChecklistsError(
            f"{document['urn']} version {document['version']} is already published with "
            "different content. A published version never changes: give the changed template "
            "a new version number.",
            field_errors={"version": [f"Version {document['version']} is already published."]},
        )
    published = document.get("published_on")
    template = ChecklistTemplate.objects.create(
        urn=document["urn"],
        version=document["version"],
        title=_text(document["title"]),
        provider=_text(document["provider"]),
        published_on=date.fromisoformat(str(published)) if published else None,
        description=_text(document.get("description")),
        content_sha256=fingerprint,
        source_name=source_name,
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            template=template,
            position=position,
            code=str(item["code"]),
            area=item["area"],
            requirement=_text(item["requirement"]),
            guidance=_text(item.get("guidance")),
            typical_evidence=_text(item.get("typical_evidence")),
            weight=item.get("weight", 1),
            criticality=item["criticality"],
        )
        for position, item in enumerate(document["items"], start=1)
    )
    return LoadResult(template, created=True)


TEMPLATE_SUFFIXES = (".yaml", ".yml")


def template_upload(*, file: UploadedFile[bytes], by: User) -> LoadResult:
    """Publish an uploaded YAML template (admin and API): name, size and encoding are checked
    before it is read as a template."""
    if not can_publish_templates(by):
        raise PermissionDenied("Only administrators publish checklist templates.")
    name = PurePath(file.name or "").name
    if not name.lower().endswith(TEMPLATE_SUFFIXES):
        raise ChecklistsError(
            "Upload the template as a .yaml file.",
            field_errors={"file": [f"“{name}” is not a .yaml or .yml file."]},
        )
    limit = settings.ACCORD_IMPORT_MAX_BYTES
    if (file.size or 0) > limit:
        raise ChecklistsError(
            "The template file is too large.",
            field_errors={
                "file": [f"The file is {file.size:,} bytes; the limit is {limit:,} bytes."]
            },
        )
    content = file.read()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ChecklistsError(
            "The template file is not UTF-8 text.",
            field_errors={"file": ["Save the template as UTF-8 text."]},
        ) from None
    return template_load(content=text, source_name=name)
