"""Writes: every door (pages, API, admin, commands, tasks) changes records through here."""

from agreements.services.agreements import (
    agreement_create,
    agreement_document_upload,
    agreement_lifecycle_run,
    agreement_party_add,
    agreement_party_remove,
    agreement_party_update,
    agreement_review_record,
    agreement_transition,
    agreement_update,
    allowed_transitions,
)
from agreements.services.mandates import (
    constraint_create,
    constraint_update,
    engagement_create,
    engagement_update,
    legal_review_decide,
    mandate_create,
    mandate_update,
)
from agreements.services.partners import (
    activity_type_create,
    activity_type_update,
    partner_create,
    partner_update,
)

__all__ = [
    "activity_type_create",
    "activity_type_update",
    "agreement_create",
    "agreement_document_upload",
    "agreement_lifecycle_run",
    "agreement_party_add",
    "agreement_party_remove",
    "agreement_party_update",
    "agreement_review_record",
    "agreement_transition",
    "agreement_update",
    "allowed_transitions",
    "constraint_create",
    "constraint_update",
    "engagement_create",
    "engagement_update",
    "legal_review_decide",
    "mandate_create",
    "mandate_update",
    "partner_create",
    "partner_update",
]
