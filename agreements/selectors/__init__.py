"""Reads shared by the web pages, the API, commands and tasks."""

from agreements.selectors.agreements import (
    agreement_for_user,
    agreement_list,
    agreements_in_force,
    agreements_visible_to,
    can_edit_agreement,
)
from agreements.selectors.clearance import Clearance, clearance_check, coverage_matrix
from agreements.selectors.mandates import (
    constraint_for_user,
    constraints_visible_to,
    engagement_for_user,
    engagements_visible_to,
    mandate_for_user,
    mandates_visible_to,
    review_queue,
)
from agreements.selectors.partners import (
    accord_people,
    activity_types,
    can_create_partner,
    can_edit_partner,
    in_portfolio_of,
    liaison_officer_candidates,
    partner_for_user,
    partner_list,
    partners_visible_to,
    users_with_role,
)

__all__ = [
    "Clearance",
    "accord_people",
    "activity_types",
    "agreement_for_user",
    "agreement_list",
    "agreements_in_force",
    "agreements_visible_to",
    "can_create_partner",
    "can_edit_agreement",
    "can_edit_partner",
    "clearance_check",
    "constraint_for_user",
    "constraints_visible_to",
    "coverage_matrix",
    "engagement_for_user",
    "engagements_visible_to",
    "in_portfolio_of",
    "liaison_officer_candidates",
    "mandate_for_user",
    "mandates_visible_to",
    "partner_for_user",
    "partner_list",
    "partners_visible_to",
    "review_queue",
    "users_with_role",
]
