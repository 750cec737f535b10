"""Writes of the checklists app: the template library and assessments."""

from checklists.services.assessments import (
    assessment_approve,
    assessment_clone,
    assessment_create,
    assessment_return,
    assessment_submit,
    assessment_upgrade,
    evidence_add,
    evidence_remove,
    response_confirm,
    responses_confirm_area,
    responses_update,
)
from checklists.services.templates import (
    LoadResult,
    parse_template,
    template_load,
    template_upload,
)

__all__ = [
    "LoadResult",
    "assessment_approve",
    "assessment_clone",
    "assessment_create",
    "assessment_return",
    "assessment_submit",
    "assessment_upgrade",
    "evidence_add",
    "evidence_remove",
    "parse_template",
    "response_confirm",
    "responses_confirm_area",
    "responses_update",
    "template_load",
    "template_upload",
]
