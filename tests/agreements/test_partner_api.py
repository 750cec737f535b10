from __future__ import annotations

from typing import Any

import pytest

from agreements.models import Partner
from tests.factories import PartnerFactory, UserFactory

URL = "/api/v1/partners/"


def detail(partner: Partner) -> str:
    return f"{URL}{partner.pk}/"


def names(response: Any) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


# --- who may read ----------------------------------------------------------------------------


def test_a_liaison_officer_lists_only_the_partners_of_their_portfolio(personas, api) -> None:
    response = api(personas.lo).get(URL)
    assert response.status_code == 200
    assert names(response) == {"Colombia", "Colombian Navy"}


@pytest.mark.parametrize("who", ["legal_advisor", "manager", "admin"])
def test_legal_advisors_managers_and_administrators_list_every_partner(
    personas, api, who: str
) -> None:
    response = api(getattr(personas, who)).get(URL)
    assert names(response) == {"Colombia", "Colombian Navy", "Panama"}


def test_a_liaison_officer_poking_at_another_portfolio_by_id_gets_404(personas, api) -> None:
    client = api(personas.lo)
    assert client.get(detail(personas.panama)).status_code == 404
    assert client.get(f"{detail(personas.panama)}history/").status_code == 404
    response = client.patch(detail(personas.panama), {"notes": "x", "version": 1})
    assert response.status_code == 404
    personas.panama.refresh_from_db()
    assert personas.panama.notes == ""


def test_a_user_without_a_role_is_refused_everything(personas, api) -> None:
    client = api(personas.outsider)
    response = client.get(URL)
    assert response.status_code == 403
    assert "no role" in response.json()["detail"]
    assert client.get(detail(personas.colombia)).status_code == 403
    assert client.post(URL, {"name": "X"}).status_code == 403


def test_an_anonymous_request_is_refused(personas, api) -> None:
    assert api(None).get(URL).status_code in {401, 403}


# --- who may write ---------------------------------------------------------------------------


def test_a_liaison_officer_edits_a_partner_of_their_portfolio(personas, api) -> None:
    response = api(personas.lo).patch(
        detail(personas.colombia), {"notes": "Ship-rider programme active.", "version": 1}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["notes"] == "Ship-rider programme active."
    assert response.json()["version"] == 2


@pytest.mark.parametrize("who", ["legal_advisor", "manager"])
def test_legal_advisors_and_managers_read_but_cannot_change_a_partner(
    personas, api, who: str
) -> None:
    client = api(getattr(personas, who))
    assert client.get(detail(personas.colombia)).status_code == 200
    response = client.patch(detail(personas.colombia), {"notes": "x", "version": 1})
    assert response.status_code == 403
    assert (
        client.post(
            URL, {"name": "Peru", "kind": "nation", "country_code": "PE", "region": "south_america"}
        ).status_code
        == 403
    )
    assert not Partner.objects.filter(name="Peru").exists()


def test_a_liaison_officers_new_partner_joins_their_own_portfolio(personas, api) -> None:
    response = api(personas.lo).post(
        URL, {"name": "Peru", "kind": "nation", "country_code": "PE", "region": "south_america"}
    )
    assert response.status_code == 201, response.json()
    assert [lo["username"] for lo in response.json()["liaison_officers"]] == ["maria"]
    assert response.json()["country_name"] == "Peru"


def test_only_administrators_assign_liaison_officers(personas, api) -> None:
    response = api(personas.lo).patch(
        detail(personas.colombia),
        {"liaison_officers": [personas.lo.pk, personas.other_lo.pk], "version": 1},
    )
    assert response.status_code == 403
    assert "Only administrators assign liaison officers" in response.json()["detail"]
    assert list(personas.colombia.liaison_officers.all()) == [personas.lo]

    response = api(personas.admin).patch(
        detail(personas.colombia),
        {"liaison_officers": [personas.lo.pk, personas.other_lo.pk], "version": 1},
    )
    assert response.status_code == 200, response.json()
    assert api(personas.other_lo).get(detail(personas.colombia)).status_code == 200


def test_an_administrator_creates_a_partner_outside_any_portfolio(personas, api) -> None:
    response = api(personas.admin).post(
        URL, {"name": "INTERPOL", "kind": "international_organisation", "region": "global"}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["liaison_officers"] == []
    assert "INTERPOL" not in names(api(personas.lo).get(URL))


# --- bad input: a 400 naming the field, nothing written --------------------------------------


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"country_code": "XX"}, "country_code", "not an ISO 3166-1 country code"),
        ({"country_code": "col"}, "country_code", "two capital letters"),
        ({"country_code": ""}, "country_code", "needs its ISO 3166-1 country code"),
        ({"kind": "planet"}, "kind", "not a valid choice"),
        ({"status": "dormant"}, "status", "not a valid choice"),
        ({"region": "atlantis"}, "region", "not a valid choice"),
        ({"name": "colombia"}, "name", "already exists"),
        ({"name": ""}, "name", "may not be blank"),
    ],
)
def test_bad_partner_input_names_the_field_and_writes_nothing(
    personas, api, payload: dict, field: str, message: str
) -> None:
    body = {"name": "Peru", "kind": "nation", "country_code": "PE", "region": "south_america"}
    body.update(payload)
    before = Partner.objects.count()
    response = api(personas.admin).post(URL, body)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])
    assert Partner.objects.count() == before


def test_an_agency_without_a_parent_nation_is_refused(personas, api) -> None:
    response = api(personas.admin).post(
        URL,
        {
            "name": "Peruvian Navy",
            "kind": "agency",
            "country_code": "PE",
            "region": "south_america",
        },
    )
    assert response.status_code == 400
    assert "needs a parent partner" in response.json()["parent"][0]


def test_an_agency_whose_parent_is_not_a_nation_is_refused(personas, api) -> None:
    response = api(personas.admin).post(
        URL,
        {
            "name": "Navy of the navy",
            "kind": "agency",
            "parent": personas.colombian_navy.pk,
            "region": "south_america",
        },
    )
    assert response.status_code == 400
    assert "parent must be a nation" in response.json()["parent"][0]


def test_an_agency_takes_its_parent_nations_country_code(personas, api) -> None:
    response = api(personas.lo).post(
        URL,
        {
            "name": "Colombian Coast Guard",
            "kind": "agency",
            "parent": personas.colombia.pk,
            "region": "south_america",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["country_code"] == "CO"


def test_a_liaison_officer_cannot_hang_an_agency_under_a_partner_they_cannot_see(
    personas, api
) -> None:
    response = api(personas.lo).post(
        URL,
        {
            "name": "Panama Aeronaval",
            "kind": "agency",
            "parent": personas.panama.pk,
            "region": "central_america",
        },
    )
    assert response.status_code == 400
    assert "parent" in response.json()
    assert not Partner.objects.filter(name="Panama Aeronaval").exists()


def test_a_liaison_officer_who_is_not_in_the_group_is_refused(personas, api) -> None:
    response = api(personas.admin).patch(
        detail(personas.colombia),
        {"liaison_officers": [personas.manager.pk], "version": 1},
    )
    assert response.status_code == 400
    assert "samuel" in response.json()["liaison_officers"][0]
    assert "liaison_officer group" in response.json()["liaison_officers"][0]
    assert list(personas.colombia.liaison_officers.all()) == [personas.lo]


def test_an_update_without_a_version_is_refused(personas, api) -> None:
    response = api(personas.lo).patch(detail(personas.colombia), {"notes": "x"})
    assert response.status_code == 400
    assert response.json()["version"] == ["This field is required."]


# --- no lost updates -------------------------------------------------------------------------


def test_a_stale_update_answers_409_with_the_current_version_and_record(personas, api) -> None:
    client = api(personas.lo)
    first = client.patch(detail(personas.colombia), {"notes": "first", "version": 1})
    assert first.status_code == 200
    stale = client.patch(detail(personas.colombia), {"notes": "second", "version": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert body["code"] == "stale_version"
    assert body["current_version"] == 2
    assert body["current"]["notes"] == "first"
    personas.colombia.refresh_from_db()
    assert personas.colombia.notes == "first"


def test_saving_twice_with_the_same_version_changes_the_record_once(personas, api) -> None:
    client = api(personas.lo)
    payload = {"short_name": "CO", "version": 1}
    assert client.patch(detail(personas.colombia), payload).status_code == 200
    assert client.patch(detail(personas.colombia), payload).status_code == 409
    personas.colombia.refresh_from_db()
    assert personas.colombia.version == 2


# --- history ---------------------------------------------------------------------------------


def test_history_lists_who_changed_which_field_from_what_to_what(personas, api) -> None:
    client = api(personas.lo)
    client.patch(detail(personas.colombia), {"status": "suspended", "version": 1})
    response = client.get(f"{detail(personas.colombia)}history/")
    assert response.status_code == 200
    newest = response.json()[0]
    assert newest["by"] == "María Ortega (maria)"
    assert newest["action"] == "changed"
    assert newest["changes"] == [
        {"field": "status", "label": "Status", "old": "Active", "new": "Suspended"}
    ]


def test_history_records_liaison_officer_assignments_as_one_change(personas, api) -> None:
    api(personas.admin).patch(
        detail(personas.colombia),
        {
            "liaison_officers": [personas.lo.pk, personas.other_lo.pk],
            "notes": "shared",
            "version": 1,
        },
    )
    newest = api(personas.admin).get(f"{detail(personas.colombia)}history/").json()[0]
    changes = {c["field"]: c for c in newest["changes"]}
    assert set(changes) == {"notes", "liaison_officers"}
    assert changes["liaison_officers"]["old"] == "María Ortega (maria)"
    assert changes["liaison_officers"]["new"] == "James Tane (james), María Ortega (maria)"


# --- lists: filters, pagination, query counts ------------------------------------------------


def test_partners_filter_by_kind_region_status_and_search(personas, api) -> None:
    client = api(personas.manager)
    assert names(client.get(URL, {"kind": "agency"})) == {"Colombian Navy"}
    assert names(client.get(URL, {"region": "central_america"})) == {"Panama"}
    assert names(client.get(URL, {"q": "pa"})) == {"Panama"}
    assert names(client.get(URL, {"q": "co"})) == {"Colombia", "Colombian Navy"}
    assert names(client.get(URL, {"status": "inactive"})) == set()


def test_an_unknown_filter_value_is_a_400_naming_the_filter(personas, api) -> None:
    response = api(personas.manager).get(URL, {"kind": "planet"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_page_size_is_honoured_up_to_500(personas, api) -> None:
    client = api(personas.manager)
    response = client.get(URL, {"page_size": 2})
    assert len(response.json()["results"]) == 2
    assert response.json()["count"] == 3
    PartnerFactory.create_batch(510)
    assert len(client.get(URL, {"page_size": 1000}).json()["results"]) == 500


def test_the_partner_list_query_count_does_not_grow_with_the_page(
    personas, api, django_assert_max_num_queries
) -> None:
    others = [UserFactory(roles=["liaison_officer"]) for _ in range(3)]
    PartnerFactory.create_batch(60, liaison_officers=[personas.lo, *others])
    client = api(personas.lo)
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"page_size": 100})
    assert response.json()["count"] == 62
