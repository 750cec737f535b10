from __future__ import annotations

from config.errors import DomainError


class AgreementsError(DomainError):
    """A broken rule of partners, agreements, mandates or constraints."""
