"""Uploaded files: one check (size, type by extension and by content) and one way to serve them.

Stored files are never public media: they are served only through a view that has checked
access first, with the type recorded at upload."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse

OOXML = "application/vnd.openxmlformats-officedocument"
#: extension → (content type, the bytes the content must start with, if the format has any)
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".docx": (f"{OOXML}.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": (f"{OOXML}.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".pptx": (f"{OOXML}.presentationml.presentation", (b"PK\x03\x04",)),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".txt": ("text/plain", ()),
    ".csv": ("text/csv", ()),
    ".png": ("image/png", (b"\x89PNG",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


#: What the API shows of every stored file, besides its own fields.
STORED_FILE_FIELDS = [
    "size_bytes",
    "content_type",
    "sha256",
    "uploaded_by",
    "uploaded_at",
    "download_url",
]


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    size: int
    content_type: str
    sha256: str


def check_upload(
    file: UploadedFile[bytes], *, limit: int, accepted: frozenset[str], field: str = "file"
) -> CheckedUpload:
    """Refuse an empty or oversized file, an extension not in `accepted`, or content that is
    not what its extension says; return its size, type and SHA-256. Errors name `field`."""
    size = file.size or 0
    if size == 0:
        raise ValidationError({field: ["The file is empty."]})
    if size > limit:
        raise ValidationError(
            {field: [f"The file is {size:,} bytes; the limit is {limit:,} bytes."]}
        )
    name = PurePath(file.name or "").name
    suffix = PurePath(name).suffix.lower()
    if suffix not in accepted:
        raise ValidationError(
            {
                field: [
                    f"“{suffix or 'no extension'}” files are not accepted; "
                    f"use {', '.join(sorted(accepted))}."
                ]
            }
        )
    content_type, magic = FILE_TYPES[suffix]
    digest = hashlib.sha256()
    head = b""
    for chunk in file.chunks():
        if len(head) < 8:
            head += chunk[: 8 - len(head)]
        digest.update(chunk)
    if magic and not head.startswith(magic):
        raise ValidationError(
            {field: [f"The content is not a {suffix[1:].upper()} file, whatever its name."]}
        )
    if content_type.startswith("text/"):
        file.seek(0)
        try:
            file.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({field: [f"A {suffix} file must be UTF-8 text."]}) from None
    file.seek(0)
    return CheckedUpload(name=name, size=size, content_type=content_type, sha256=digest.hexdigest())


def serve_file(stored: FieldFile, *, filename: str, content_type: str) -> FileResponse:
    """A stored file as a download (never rendered inline, so an upload cannot run as a page)."""
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
