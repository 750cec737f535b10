from __future__ import annotations

from config.errors import DomainError


class ChecklistsError(DomainError):
    """A broken rule of checklist templates, assessments or scores."""


class EvidenceMissingError(ChecklistsError):
    """Submitting with high-criticality items marked met but without evidence; `codes` names
    them, so a page can link to each."""

    def __init__(self, codes: list[str]):
        self.codes = codes
        super().__init__(
            "Not submitted: "
            + "; ".join(f"{code} is marked met but has no evidence" for code in codes)
            + ".",
            field_errors={
                f"responses ({code}).evidence_text": [
                    f"{code} is marked met but has no evidence: a high-criticality item marked "
                    "met needs evidence (text, link or file)."
                ]
                for code in codes
            },
        )
