"""List pages people can work with: sorting, filters that survive Back, the engagements list,
the new-agreement and import buttons, people by full name, one date format."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.test import Client

from agreements.models import Agreement, AgreementParty, Engagement
from agreements.selectors.clearance import clearance_check
from agreements.services import mandate_create
from checklists.services import assessment_create
from tests.checklists.test_assessments import load
from tests.factories import AgreementFactory, PartnerFactory, activity


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def order_of(html: str, names: list[str]) -> list[str]:
    """The given names in the order they appear on the page."""
    return sorted(names, key=lambda name: html.index(name))


@pytest.fixture
def three_agreements(personas):
    return [
        AgreementFactory(
            reference="MOU-COL-2020-001",
            title="Charlie",
            owner=personas.lo,
            parties=[personas.colombia],
            expires_on=date(2031, 1, 1),
        ),
        AgreementFactory(
            reference="MOU-COL-2021-002",
            title="Alpha",
            owner=personas.lo,
            parties=[personas.colombian_navy],
            expires_on=date(2029, 1, 1),
            activity_types=[activity("joint-training")],
        ),
        AgreementFactory(
            reference="MOU-COL-2022-003",
            title="Bravo",
            owner=personas.lo,
            parties=[personas.colombia],
        ),
    ]


def test_the_agreements_list_sorts_by_a_column_both_ways(personas, three_agreements) -> None:
    client = browser_as(personas.lo)
    titles = ["Alpha", "Bravo", "Charlie"]
    html = client.get("/agreements/?sort=title").content.decode()
    assert order_of(html, titles) == ["Alpha", "Bravo", "Charlie"]
    assert 'aria-sort="ascending"' in html
    assert 'href="?sort=-title"' in html  # the sorted column's link turns the order round
    html = client.get("/agreements/?sort=-title").content.decode()
    assert order_of(html, titles) == ["Charlie", "Bravo", "Alpha"]
    assert 'aria-sort="descending"' in html
    # Expiry ascending puts the indefinite agreement last.
    html = client.get("/agreements/?sort=expires").content.decode()
    assert order_of(html, titles) == ["Alpha", "Charlie", "Bravo"]


@pytest.mark.parametrize("bad", ["bogus", "-", "--title", "title;drop", "parties__partner"])
def test_an_unknown_sort_falls_back_to_the_default_order(personas, three_agreements, bad):
    response = browser_as(personas.lo).get("/agreements/", {"sort": bad})
    assert response.status_code == 200
    html = response.content.decode()
    refs = [a.reference for a in three_agreements]
    assert order_of(html, refs) == sorted(refs)


@pytest.mark.parametrize(
    ("path", "sort", "first", "second"),
    [
        ("/partners/", "-name", "Panama", "Colombian Navy"),
        ("/partners/", "name", "Colombia", "Panama"),
        ("/mandates/", "-title", "Zulu mandate", "Alpha mandate"),
        ("/mandates/", "title", "Alpha mandate", "Zulu mandate"),
        ("/legal/queue/", "-name", "Zulu mandate", "Alpha mandate"),
        ("/legal/queue/", "name", "Alpha mandate", "Zulu mandate"),
        ("/assessments/", "-partner", "Panama", "Colombia"),
        ("/assessments/", "partner", "Colombia", "Panama"),
        ("/engagements/", "title", "Able exercise", "Zenith visit"),
        ("/engagements/", "-title", "Zenith visit", "Able exercise"),
    ],
)
def test_every_list_sorts_by_its_columns(personas, path, sort, first, second) -> None:
    for title in ["Zulu mandate", "Alpha mandate"]:
        mandate_create(
            by=personas.legal_advisor,
            title=title,
            kind="treaty_provision",
            citation=f"{title}, art. 1",
            valid_from=date(1990, 1, 1),
            applies_to_all_partners=True,
            activity_types=[activity("maritime-interdiction")],
        )
    template = load()
    assessment_create(by=personas.admin, partner=personas.panama, template=template)
    assessment_create(by=personas.admin, partner=personas.colombia, template=template)
    for title, partner in [("Zenith visit", personas.panama), ("Able exercise", personas.colombia)]:
        Engagement.objects.create(
            partner=partner,
            activity_type=activity("port-visit"),
            title=title,
            starts_on=date(2027, 5, 1),
            ends_on=date(2027, 5, 3),
        )
    response = browser_as(personas.admin).get(path, {"sort": sort})
    assert response.status_code == 200
    html = response.content.decode()
    body = html[html.index("<tbody") :]
    assert body.index(first) < body.index(second)
    assert "aria-sort=" in html
    # Garbage is ignored, never a 500.
    assert browser_as(personas.admin).get(path, {"sort": "'; drop"}).status_code == 200


def test_the_agreements_page_filters_as_the_api_does(personas, three_agreements) -> None:
    client = browser_as(personas.lo)
    html = client.get("/agreements/", {"partner": personas.colombian_navy.pk}).content.decode()
    assert "MOU-COL-2021-002" in html and "MOU-COL-2020-001" not in html
    html = client.get("/agreements/", {"activity": "joint-training"}).content.decode()
    assert "MOU-COL-2021-002" in html and "MOU-COL-2022-003" not in html
    html = client.get("/agreements/", {"expires_before": "2030-01-01"}).content.decode()
    assert "MOU-COL-2021-002" in html and "MOU-COL-2020-001" not in html
    assert "1 agreement<" in html  # singular for one


def test_the_filters_come_back_from_the_url_after_back(personas, three_agreements) -> None:
    """Back (or a reload of a pushed URL) renders the form from the query string."""
    url = (
        f"/agreements/?q=MOU&partner={personas.colombia.pk}&activity=joint-training"
        "&review_due_before=2030-02-01&sort=-expires"
    )
    html = browser_as(personas.lo).get(url).content.decode()
    assert 'name="q" value="MOU"' in html
    assert f'<option value="{personas.colombia.pk}" selected>' in html
    assert '<option value="joint-training" selected>' in html
    assert 'name="review_due_before" value="2030-02-01"' in html
    assert '<input type="hidden" name="sort" value="-expires">' in html
    assert 'hx-push-url="true"' in html


def test_a_filter_change_by_htmx_gets_the_table_and_a_history_restore_the_page(
    personas, three_agreements
) -> None:
    client = browser_as(personas.lo)
    fragment = client.get("/agreements/?q=Alpha", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "MOU-COL-2021-002" in fragment
    restore = client.get(
        "/agreements/?q=Alpha", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    ).content.decode()
    assert "<html" in restore and 'name="q" value="Alpha"' in restore


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"in_force_on": "not-a-date"}, "In force on: Enter a valid date."),
        ({"expires_before": "2024-13-01"}, "Expires before: Enter a valid date."),
        ({"partner": "abc"}, "Partner: Enter a whole number."),
        ({"review_due_before": "0001-01-01"}, "Review due before:"),
    ],
)
def test_a_bad_filter_is_named_by_its_label_over_an_empty_table(
    personas, three_agreements, query, shown
) -> None:
    response = browser_as(personas.lo).get("/agreements/", query)
    assert response.status_code == 200
    html = response.content.decode()
    assert shown in html
    assert "MOU-COL-2020-001" not in html


def test_the_import_button_shows_for_administrators_only(personas) -> None:
    assert "Import register" in browser_as(personas.admin).get("/agreements/").content.decode()
    for who in ["lo", "legal_advisor", "manager"]:
        html = browser_as(getattr(personas, who)).get("/agreements/").content.decode()
        assert "Import register" not in html


def test_the_partner_page_offers_a_new_agreement_to_those_who_may_record_one(personas):
    url = f"/partners/{personas.colombia.pk}/"
    button = f'href="/agreements/new/?partner={personas.colombia.pk}"'
    assert button in browser_as(personas.lo).get(url).content.decode()
    assert button in browser_as(personas.admin).get(url).content.decode()
    assert button not in browser_as(personas.manager).get(url).content.decode()
    assert button not in browser_as(personas.legal_advisor).get(url).content.decode()


def test_the_new_agreement_form_prefills_the_partner_and_the_lo_as_owner(personas) -> None:
    html = browser_as(personas.lo).get(f"/agreements/new/?partner={personas.colombia.pk}")
    html = html.content.decode()
    assert re.search(rf'<option value="{personas.colombia.pk}" selected>Colombia</option>', html)
    assert re.search(rf'<option value="{personas.lo.pk}" selected>María Ortega \(maria\)', html)
    # A partner outside the portfolio is not offered at all, and a bad value is ignored.
    assert "Panama" not in html
    assert browser_as(personas.lo).get("/agreements/new/?partner=x٣").status_code == 200


def test_recording_an_agreement_with_a_partner_makes_it_the_first_party(personas) -> None:
    response = browser_as(personas.lo).post(
        "/agreements/new/",
        {
            "reference": "MOU-COL-2027-009",
            "title": "Riverine training",
            "kind": "mou",
            "partner": personas.colombia.pk,
            "party_role": "signatory",
            "owner": personas.lo.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    agreement = Agreement.objects.get(reference="MOU-COL-2027-009")
    party = AgreementParty.objects.get(agreement=agreement)
    assert (party.partner, party.role) == (personas.colombia, "signatory")
    detail = browser_as(personas.lo).get(f"/agreements/{agreement.pk}/#history").content
    assert "Colombia" in detail.decode()


def test_a_partner_the_lo_cannot_see_is_refused_by_the_form_and_nothing_is_written(personas):
    response = browser_as(personas.lo).post(
        "/agreements/new/",
        {
            "reference": "MOU-PAN-2027-001",
            "title": "Not mine",
            "kind": "mou",
            "partner": personas.panama.pk,
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Agreement.objects.filter(reference="MOU-PAN-2027-001").exists()


def test_people_are_offered_by_full_name_in_the_agreement_and_partner_forms(personas) -> None:
    html = browser_as(personas.admin).get("/agreements/new/").content.decode()
    assert "María Ortega (maria)" in html and "James Tane (james)" in html
    html = browser_as(personas.admin).get(f"/partners/{personas.colombia.pk}/edit/").content
    assert "María Ortega (maria)" in html.decode()


def test_the_engagements_list_shows_what_each_persona_may_see(personas) -> None:
    for title, partner in [("Col visit", personas.colombia), ("Pan visit", personas.panama)]:
        Engagement.objects.create(
            partner=partner,
            activity_type=activity("port-visit"),
            title=title,
            starts_on=date(2027, 5, 1),
            ends_on=date(2027, 5, 3),
        )
    lo = browser_as(personas.lo).get("/engagements/").content.decode()
    assert "Col visit" in lo and "Pan visit" not in lo and "1 engagement<" in lo
    other = browser_as(personas.other_lo).get("/engagements/").content.decode()
    assert "Pan visit" in other and "Col visit" not in other
    for who in ["manager", "legal_advisor", "admin"]:
        html = browser_as(getattr(personas, who)).get("/engagements/").content.decode()
        assert "Col visit" in html and "Pan visit" in html and "2 engagements" in html
    assert browser_as(personas.outsider).get("/engagements/").status_code == 403
    # Filters: partner, activity, dates; a bad one is named by its label.
    admin = browser_as(personas.admin)
    html = admin.get("/engagements/", {"partner": personas.panama.pk}).content.decode()
    assert "Pan visit" in html and "Col visit" not in html
    html = admin.get("/engagements/", {"activity": "joint-training"}).content.decode()
    assert "No engagements match." in html
    html = admin.get("/engagements/", {"starts_after": "2027-06-01"}).content.decode()
    assert "No engagements match." in html
    html = admin.get("/engagements/", {"starts_before": "soon"}).content.decode()
    assert "Starts before: Enter a valid date." in html
    assert 'href="/engagements/"' in html  # in the navigation


@time_machine.travel(date(2027, 6, 1))
def test_overdue_dates_are_marked_alike_on_the_list_and_the_partner_timeline(personas):
    agreement = AgreementFactory(
        reference="MOU-COL-2020-007",
        owner=personas.lo,
        parties=[personas.colombia],
        status=Agreement.Status.IN_FORCE,
    )
    # Derived on save from the last review; set as the daily job would find it.
    Agreement.objects.filter(pk=agreement.pk).update(next_review_on=date(2027, 3, 14))
    marked = '<time class="overdue" datetime="2027-03-14">14 Mar 2027</time>'
    assert marked in browser_as(personas.lo).get("/agreements/").content.decode()
    partner_page = browser_as(personas.lo).get(f"/partners/{personas.colombia.pk}/")
    assert marked in partner_page.content.decode()


def test_clearance_findings_write_dates_as_the_pages_do(personas) -> None:
    agreement = AgreementFactory(
        reference="MOU-COL-2020-008",
        owner=personas.lo,
        status=Agreement.Status.IN_FORCE,
        effective_on=date(2020, 1, 1),
        expires_on=date(2027, 3, 4),
        activity_types=[activity("port-visit")],
    )
    AgreementParty.objects.create(agreement=agreement, partner=personas.colombia)
    result = clearance_check(
        partner=personas.colombia,
        activity_type=activity("port-visit"),
        starts_on=date(2027, 3, 1),
        ends_on=date(2027, 3, 10),
        today=date(2027, 1, 1),
    )
    details = " ".join(f.detail for f in result.findings)
    assert "4 Mar 2027" in details and "04 Mar" not in details


@pytest.mark.parametrize(
    ("path", "sort"),
    [
        ("/agreements/", "-title"),
        ("/partners/", "country"),
        ("/engagements/", "partner"),
        ("/mandates/", "-status"),
        ("/assessments/", "assessor"),
        ("/legal/queue/", "name"),
    ],
)
def test_sorted_list_pages_take_a_fixed_number_of_queries(
    personas, path, sort, django_assert_max_num_queries
) -> None:
    for n in range(12):
        partner = PartnerFactory(liaison_officers=[personas.lo])
        AgreementFactory(owner=personas.lo, parties=[partner, personas.colombia])
        Engagement.objects.create(
            partner=partner,
            activity_type=activity("port-visit"),
            title=f"Visit {n}",
            starts_on=date(2027, 5, 1),
            ends_on=date(2027, 5, 3),
        )
    client = browser_as(personas.lo)
    client.get(path)  # warm the session
    with django_assert_max_num_queries(14):
        assert client.get(path, {"sort": sort}).status_code == 200
