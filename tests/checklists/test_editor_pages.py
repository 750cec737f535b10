from __future__ import annotations

import yaml
from django.test import Client

from checklists.models import ItemResponse
from checklists.services import assessment_create, template_load


def browser_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_template(items: int):
    document = {
        "urn": f"urn:accord:test:editor-{items}",
        "version": 1,
        "title": "Editor test",
        "provider": "tests",
        "items": [
            {
                "code": f"E-{n:03d}",
                "area": ["communications", "medical", "cyber"][n % 3],
                "requirement": f"Requirement {n}.",
                "criticality": ["high", "low"][n % 2],
            }
            for n in range(items)
        ],
    }
    return template_load(content=yaml.safe_dump(document)).template


def test_the_editor_query_count_does_not_grow_with_the_number_of_items(
    personas, django_assert_max_num_queries
) -> None:
    small = assessment_create(by=personas.lo, partner=personas.colombia, template=make_template(10))
    large = assessment_create(
        by=personas.lo, partner=personas.colombia, template=make_template(150)
    )
    client = browser_as(personas.lo)
    counts = []
    for assessment in (small, large):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/assessments/{assessment.pk}/")
        assert response.status_code == 200
        counts.append(len(queries))
    # The history section reads a fixed number of queries more (one per source and label kind).
    assert counts[0] == counts[1] <= 17


def test_an_answer_saved_in_place_returns_the_row_and_the_score(personas) -> None:
    assessment = assessment_create(
        by=personas.lo, partner=personas.colombia, template=make_template(4)
    )
    client = browser_as(personas.lo)
    html = client.post(
        f"/assessments/{assessment.pk}/items/E-001/",
        {"version": 1, "result": "met"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert 'id="item-E-001"' in html and "Saved" in html
    assert 'id="score" hx-swap-oob="true"' in html
    assert ItemResponse.objects.get(item__code="E-001").result == "met"
    stale = client.post(
        f"/assessments/{assessment.pk}/items/E-001/", {"version": 1, "result": "not_met"}
    ).content.decode()
    assert "changed by someone else" in stale and "Not saved" in stale


def test_others_may_read_but_not_answer(personas) -> None:
    assessment = assessment_create(
        by=personas.lo, partner=personas.colombia, template=make_template(3)
    )
    manager = browser_as(personas.manager)
    page = manager.get(f"/assessments/{assessment.pk}/").content.decode()
    assert 'type="radio"' not in page
    assert (
        manager.post(
            f"/assessments/{assessment.pk}/items/E-000/", {"version": 1, "result": "met"}
        ).status_code
        == 403
    )
    assert browser_as(personas.other_lo).get(f"/assessments/{assessment.pk}/").status_code == 404


def test_the_partner_page_lists_assessments_with_level_and_trend(personas) -> None:
    template = make_template(2)
    first = assessment_create(by=personas.lo, partner=personas.colombia, template=template)
    html = browser_as(personas.lo).get(f"/partners/{personas.colombia.pk}/").content.decode()
    assert "Interoperability assessments" in html and f"/assessments/{first.pk}/" in html
    assert browser_as(personas.lo).get("/checklists/").status_code == 200
