from __future__ import annotations

from config.errors import DomainError


class ChecklistsError(DomainError):
    """A broken rule of checklist templates, assessments or scores."""
