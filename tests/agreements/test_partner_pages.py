from __future__ import annotations

import pytest
from django.test import Client

from agreements.models import Partner
from tests.factories import PartnerFactory


def browser_as(user: object) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_anonymous_visitor_is_sent_to_sign_in(personas) -> None:
    response = Client().get("/partners/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_liaison_officer_sees_only_their_partners(personas) -> None:
    response = browser_as(personas.lo).get("/partners/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "My partners" in html
    assert "Colombian Navy" in html
    assert "Panama" not in html


def test_a_manager_sees_every_partner(personas) -> None:
    html = browser_as(personas.manager).get("/partners/").content.decode()
    assert "Panama" in html and "Colombia" in html
    assert "New partner" not in html


def test_the_list_filters_by_search_kind_region_and_status(personas) -> None:
    client = browser_as(personas.manager)
    html = client.get("/partners/", {"q": "navy"}).content.decode()
    assert "Colombian Navy" in html and "Panama" not in html
    html = client.get("/partners/", {"region": "central_america"}).content.decode()
    assert "Panama" in html and "Colombian Navy" not in html
    html = client.get("/partners/", {"kind": "agency", "status": "active"}).content.decode()
    assert "1 partner<" in html


def test_an_htmx_search_returns_only_the_table(personas) -> None:
    response = browser_as(personas.manager).get(
        "/partners/", {"q": "pan"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "Panama" in html


@pytest.mark.parametrize("path", ["/partners/{pk}/", "/partners/{pk}/edit/"])
def test_another_portfolios_partner_answers_404_to_a_liaison_officer(personas, path) -> None:
    response = browser_as(personas.lo).get(path.format(pk=personas.panama.pk))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["legal_advisor", "manager"])
def test_readers_see_the_partner_page_but_not_the_edit_form(personas, who) -> None:
    client = browser_as(getattr(personas, who))
    page = client.get(f"/partners/{personas.colombia.pk}/")
    assert page.status_code == 200
    assert "Edit" not in page.content.decode().split("<main")[1].split("History")[0]
    assert client.get(f"/partners/{personas.colombia.pk}/edit/").status_code == 403
    assert client.get("/partners/new/").status_code == 403


def test_a_user_without_a_role_is_refused_the_pages(personas) -> None:
    response = browser_as(personas.outsider).get("/partners/")
    assert response.status_code == 403
    assert "no role" in response.content.decode()


def test_the_partner_page_shows_agencies_officers_and_history(personas) -> None:
    html = browser_as(personas.lo).get(f"/partners/{personas.colombia.pk}/").content.decode()
    assert "Colombian Navy" in html
    assert "María Ortega" in html
    assert "History" in html


def _form_data(partner: Partner, **overrides: object) -> dict[str, object]:
    data = {
        "name": partner.name,
        "short_name": partner.short_name,
        "kind": partner.kind,
        "country_code": partner.country_code,
        "region": partner.region,
        "parent": partner.parent_id or "",
        "status": partner.status,
        "notes": partner.notes,
        "version": partner.version,
    }
    data.update(overrides)
    return data


def test_a_liaison_officer_edits_a_partner_and_the_change_is_in_the_history(personas) -> None:
    client = browser_as(personas.lo)
    response = client.post(
        f"/partners/{personas.colombia.pk}/edit/",
        _form_data(personas.colombia, status="suspended"),
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Changes saved." in html
    assert "Suspended" in html
    personas.colombia.refresh_from_db()
    assert personas.colombia.status == "suspended"
    assert personas.colombia.history.first().history_user == personas.lo


def test_a_stale_edit_is_refused_with_a_message_and_the_fresh_form(personas) -> None:
    client = browser_as(personas.lo)
    loaded = _form_data(personas.colombia, notes="mine")
    other = browser_as(personas.admin)
    other.post(
        f"/partners/{personas.colombia.pk}/edit/",
        {**_form_data(personas.colombia, notes="theirs"), "liaison_officers": [personas.lo.pk]},
    )
    response = client.post(f"/partners/{personas.colombia.pk}/edit/", loaded)
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed by someone else" in html
    assert "Your unsaved values" in html
    assert "theirs" in html  # the fresh form holds the current notes
    assert 'name="version" value="2"' in html
    personas.colombia.refresh_from_db()
    assert personas.colombia.notes == "theirs"


def test_bad_input_in_the_form_names_the_field_and_saves_nothing(personas) -> None:
    client = browser_as(personas.lo)
    response = client.post(
        f"/partners/{personas.colombia.pk}/edit/",
        _form_data(personas.colombia, country_code="ZZ", name="Panama"),
    )
    html = response.content.decode()
    assert "“ZZ” is not an ISO 3166-1 country code." in html
    assert "A partner with this name already exists" in html
    personas.colombia.refresh_from_db()
    assert (personas.colombia.name, personas.colombia.country_code) == ("Colombia", "CO")


def test_a_liaison_officer_creates_a_partner_in_their_portfolio(personas) -> None:
    client = browser_as(personas.lo)
    response = client.post(
        "/partners/new/",
        {
            "name": "Ecuador",
            "kind": "nation",
            "country_code": "ec",
            "region": "south_america",
            "status": "active",
        },
    )
    assert response.status_code == 302
    ecuador = Partner.objects.get(name="Ecuador")
    assert ecuador.country_code == "EC"
    assert list(ecuador.liaison_officers.all()) == [personas.lo]


def test_the_partner_list_query_count_does_not_grow_with_the_page(
    personas, django_assert_max_num_queries
) -> None:
    PartnerFactory.create_batch(45, liaison_officers=[personas.lo])
    client = browser_as(personas.lo)
    with django_assert_max_num_queries(10):
        response = client.get("/partners/")
    assert response.status_code == 200


def test_an_empty_any_option_does_not_defeat_the_search(personas) -> None:
    html = (
        browser_as(personas.manager)
        .get("/partners/", {"q": "navy", "region": "", "status": ""})
        .content.decode()
    )
    assert "Colombian Navy" in html and "Panama" not in html


def test_an_invalid_filter_shows_its_error_over_an_empty_table(personas) -> None:
    html = browser_as(personas.manager).get("/partners/", {"kind": "planet"}).content.decode()
    assert "Select a valid choice" in html
    assert "Panama" not in html
