from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import AgreementFactory


@pytest.mark.parametrize(
    "path",
    [
        "/admin/agreements/agreement/",
        "/admin/agreements/legalmandate/",
        "/admin/agreements/legalreview/",
        "/admin/agreements/sovereigntyconstraint/",
        "/admin/agreements/engagement/",
        "/admin/agreements/agreementimport/",
        "/admin/agreements/agreement/add/",
    ],
)
def test_administrators_manage_the_legal_records_in_the_admin(personas, path) -> None:
    client = Client()
    client.force_login(personas.admin)
    assert client.get(path).status_code == 200


def test_the_agreement_admin_page_opens_with_its_parties(personas) -> None:
    agreement = AgreementFactory(parties=[personas.colombia])
    client = Client()
    client.force_login(personas.admin)
    response = client.get(f"/admin/agreements/agreement/{agreement.pk}/change/")
    assert response.status_code == 200
    assert "Colombia" in response.content.decode()
