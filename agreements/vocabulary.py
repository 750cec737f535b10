"""Categories of sovereignty constraints, grouped by domain (Django choices with groups).

Started from the public taxonomy of maritime law-enforcement limits, status-of-forces terms,
national caveats and information-release limits; labels are Accord's own.
"""

from __future__ import annotations

CONSTRAINT_CATEGORIES: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Maritime law enforcement",
        [
            ("flag_state_consent_to_board", "Flag-state consent to board"),
            ("conditions_on_authorisation", "Conditions attached to a boarding authorisation"),
            ("shipboarding_in_territorial_waters", "Boarding in territorial waters"),
            ("shiprider_embarkation", "Ship-rider embarkation"),
            ("pursuit_into_territorial_waters", "Pursuit into territorial waters"),
            ("entry_to_investigate", "Entry into territorial waters to investigate"),
            ("overflight", "Overflight and landing"),
            ("relay_order_to_land", "Relaying an order to land"),
            (
                "jurisdiction_over_detained_vessel_cargo_persons",
                "Jurisdiction over detained vessels, cargo and persons",
            ),
            ("disposition_of_seized_property", "Disposition of seized property"),
            ("detention_and_transfer_of_suspects", "Detention and transfer of suspects"),
            ("third_state_platforms", "Use of third-state platforms"),
            ("use_of_force_limits", "Limits on the use of force"),
            ("contiguous_zone_jurisdiction", "Contiguous-zone jurisdiction"),
            ("elected_procedures_and_declarations", "Elected procedures and declarations"),
            ("competent_authority_and_response_time", "Competent authority and response time"),
            ("safety_and_legitimate_interests", "Safety at sea and legitimate interests"),
        ],
    ),
    (
        "Status of forces",
        [
            ("territorial_access", "Territorial access and entry of forces"),
            ("criminal_jurisdiction", "Criminal jurisdiction over personnel"),
            ("custody_and_transfer_of_personnel", "Custody and transfer of personnel"),
            ("civil_claims", "Civil claims"),
            ("uniforms_and_arms", "Uniforms and carrying arms"),
            ("taxes_customs_and_fees", "Taxes, customs and fees"),
            ("radio_frequencies", "Radio frequencies"),
            ("licences_and_entry", "Licences and entry formalities"),
            ("scope_and_duration", "Scope and duration of presence"),
            ("diplomatic_equivalent_status", "Status equivalent to diplomatic staff"),
        ],
    ),
    (
        "National caveats",
        [
            ("geographic_restriction", "Geographic restriction"),
            ("task_restriction", "Task restriction"),
            ("time_restriction", "Time restriction"),
            ("national_approval_required", "National approval required"),
            ("prohibited_weapons_or_tactics", "Prohibited weapons or tactics"),
            ("red_card_holder", "Red-card holder"),
            ("detention_restriction", "Restriction on detention"),
        ],
    ),
    (
        "Information",
        [
            ("releasability", "Intelligence releasability"),
            ("third_party_onward_release", "Onward release to third parties"),
            ("evidentiary_use", "Use of information as evidence"),
            ("data_residency", "Data residency"),
        ],
    ),
    (
        "Legal basis",
        [
            ("military_role_in_law_enforcement", "Military role in law enforcement"),
            ("mandate_type", "Required type of mandate"),
        ],
    ),
]
