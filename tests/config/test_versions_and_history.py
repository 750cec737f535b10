from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import Client

from agreements.models import Partner
from config.errors import StaleVersionError
from tests.factories import PartnerFactory


@pytest.mark.django_db
def test_two_editors_of_the_same_version_cannot_both_save() -> None:
    partner = PartnerFactory(name="Grenada", country_code="GD")
    first = Partner.objects.get(pk=partner.pk)
    second = Partner.objects.get(pk=partner.pk)
    first.notes = "first"
    first.save()
    second.notes = "second"
    with pytest.raises(StaleVersionError) as refused:
        second.save()
    assert (refused.value.expected, refused.value.current) == (1, 2)
    partner.refresh_from_db()
    assert (partner.notes, partner.version) == ("first", 2)


@pytest.mark.django_db
def test_every_save_moves_the_version_on_by_one() -> None:
    partner = PartnerFactory()
    for expected in (2, 3, 4):
        partner.save()
        assert partner.version == expected


def test_the_admin_refuses_a_stale_edit_with_a_message(personas) -> None:
    client = Client()
    client.force_login(personas.admin)
    url = f"/admin/agreements/partner/{personas.panama.pk}/change/"
    form = {
        "name": "Panama",
        "short_name": "",
        "kind": "nation",
        "country_code": "PA",
        "region": "central_america",
        "status": "active",
        "notes": "stale edit",
        "version": 1,
        "liaison_officers": [personas.other_lo.pk],
        "agencies-TOTAL_FORMS": 0,
        "agencies-INITIAL_FORMS": 0,
    }
    personas.panama.notes = "someone else"
    personas.panama.save()
    response = client.post(url, form)
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    personas.panama.refresh_from_db()
    assert personas.panama.notes == "someone else"
    assert Partner in site._registry


def test_the_admin_saves_a_current_edit_and_records_who_made_it(personas) -> None:
    client = Client()
    client.force_login(personas.admin)
    url = f"/admin/agreements/partner/{personas.panama.pk}/change/"
    response = client.post(
        url,
        {
            "name": "Panama",
            "kind": "nation",
            "country_code": "PA",
            "region": "central_america",
            "status": "suspended",
            "version": 1,
            "liaison_officers": [personas.other_lo.pk],
            "agencies-TOTAL_FORMS": 0,
            "agencies-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    personas.panama.refresh_from_db()
    assert personas.panama.status == "suspended"
    assert personas.panama.history.first().history_user == personas.admin
