"""The liaison officer's path through the UI, in headless Chromium against a live server."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(live_server) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


@pytest.mark.browser
def test_the_liaison_officer_signs_in_edits_a_partner_and_sees_it_in_the_history(
    personas, page
) -> None:
    expect = playwright_api.expect
    page.goto("/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Signing in opens the desk; the partners list is one click away.
    expect(page.get_by_role("heading", name="Your desk")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Partners").click()
    expect(page.get_by_role("heading", name="My partners")).to_be_visible()
    table = page.locator("table.list")
    expect(table.get_by_role("link", name="Colombia", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="Colombian Navy")).to_be_visible()
    expect(table).not_to_contain_text("Panama")

    # The search narrows the table in place (HTMX), without a page load.
    page.get_by_label("Search partners").fill("navy")
    expect(table.get_by_role("link", name="Colombia", exact=True)).to_have_count(0)
    expect(table.get_by_role("link", name="Colombian Navy")).to_be_visible()
    page.get_by_label("Search partners").fill("")

    page.get_by_role("link", name="Colombia", exact=True).click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Status").select_option("suspended")
    page.get_by_label("Notes").fill("Cooperation paused after the 2026 review.")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text("Changes saved.")).to_be_visible()
    history = page.locator("#history")
    newest = history.locator(".history-entry").first
    expect(newest).to_contain_text("María Ortega (maria)")
    expect(newest.locator("tr", has_text="Status")).to_contain_text("Active")
    expect(newest.locator("tr", has_text="Status")).to_contain_text("Suspended")
    expect(newest.locator("tr", has_text="Notes")).to_contain_text(
        "Cooperation paused after the 2026 review."
    )
    page.screenshot(path=str(_screenshot_dir() / "lo-partner-history.png"), full_page=True)

    # Another portfolio's partner is not there, even by address.
    response = page.goto(f"/partners/{personas.panama.pk}/")
    assert response is not None and response.status == 404


def _screenshot_dir() -> Path:
    folder = settings.VAR_DIR / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def settled(page) -> None:
    """No request in flight and no swapped row still settling."""
    page.wait_for_load_state("networkidle")
    playwright_api.expect(
        page.locator(".htmx-settling, .htmx-request, .htmx-swapping")
    ).to_have_count(0)
    page.wait_for_timeout(50)  # htmx's settle delay is 20 ms


@pytest.mark.browser
def test_the_liaison_officer_answers_items_with_the_keyboard_and_sees_the_score_move(
    personas, page
) -> None:
    import yaml

    from checklists.services import assessment_create, template_load

    expect = playwright_api.expect
    document = {
        "urn": "urn:accord:test:keyboard",
        "version": 1,
        "title": "Keyboard",
        "provider": "tests",
        "items": [
            {
                "code": "K-1",
                "area": "communications",
                "requirement": "One.",
                "criticality": "low",
                "weight": 1,
            },
            {
                "code": "K-2",
                "area": "communications",
                "requirement": "Two.",
                "criticality": "low",
                "weight": 1,
            },
        ],
    }
    template = template_load(content=yaml.safe_dump(document)).template
    assessment = assessment_create(by=personas.lo, partner=personas.colombia, template=template)
    page.goto("/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/assessments/{assessment.pk}/")
    score = page.locator("#score .big")
    expect(score).to_have_text("0.0 %")
    page.locator("#item-K-1").focus()
    page.keyboard.press("2")  # met
    expect(score).to_have_text("50.0 %")
    page.keyboard.press("j")
    page.keyboard.press("3")  # partially met
    expect(score).to_have_text("75.0 %")
    page.screenshot(path=str(_screenshot_dir() / "lo-assessment-keyboard.png"), full_page=True)

    # evidence typed, then Tab: saved in place, the section stays open, the focus moves on
    row = page.locator("#item-K-1")
    row.locator("summary").click()
    row.get_by_label("Evidence").fill("Radio check log, 12 March.")
    page.keyboard.press("Tab")
    expect(page.locator("#item-K-1 summary")).to_contain_text("evidence given")
    expect(page.locator("#item-K-1 details")).to_have_attribute("open", "")
    expect(page.locator("#item-K-1 input[name=evidence_link]")).to_be_focused()
    # a file and an owner, each saved as given (each once the row's last save has settled: a
    # person takes seconds in a file dialog or a list, a test does not)
    settled(page)
    page.locator("#item-K-1 input[name=evidence_file]").set_input_files(
        files=[{"name": "radio-log.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 log"}]
    )
    expect(page.locator("#item-K-1 .evidence-files a")).to_have_text("radio-log.pdf")
    settled(page)
    page.locator("#item-K-1 select[name=owner]").select_option(label="James Tane")
    expect(page.locator("#item-K-1 .item-head")).to_contain_text("owner: James Tane")
    page.screenshot(path=str(_screenshot_dir() / "lo-assessment-evidence.png"), full_page=True)


@pytest.mark.browser
def test_the_liaison_officer_confirms_a_carried_over_answer_with_its_key_in_the_next_round(
    personas, page
) -> None:
    import yaml

    from checklists.services import (
        assessment_approve,
        assessment_clone,
        assessment_create,
        assessment_submit,
        responses_update,
        template_load,
    )

    expect = playwright_api.expect
    items = [
        {
            "code": f"R-{n}",
            "area": "communications",
            "requirement": f"Requirement {n}.",
            "criticality": "low",
            "weight": 1,
        }
        for n in range(1, 13)
    ]
    document = {"urn": "urn:accord:test:rounds", "version": 1, "title": "Rounds"}
    document |= {"provider": "tests", "items": items}
    template = template_load(content=yaml.safe_dump(document)).template
    first = assessment_create(by=personas.lo, partner=personas.colombia, template=template)
    responses_update(
        assessment=first,
        by=personas.lo,
        changes=[{"code": item["code"], "version": 1, "result": "partially_met"} for item in items],
    )
    assessment_submit(assessment=first, by=personas.lo)
    assessment_approve(assessment=first, by=personas.manager)
    second = assessment_clone(source=first, by=personas.lo)

    page.goto("/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/assessments/{second.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("round 2")
    row = page.locator("#item-R-1")
    expect(row.locator(".badge-warn")).to_have_text("re-confirm")

    # The skip link reaches the first item; the key of its current answer (3, partially met)
    # confirms it as it is: one save, the score unchanged, the focus kept on the row.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the first item")
    while not skip.evaluate("link => link === document.activeElement"):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(row).to_be_focused()
    page.keyboard.press("3")
    expect(page.locator("#item-R-1 .saved")).to_have_text("Saved")
    expect(page.locator("#item-R-1")).not_to_have_class("reconfirm")
    expect(page.locator("#item-R-1 .badge-warn")).to_have_count(0)
    expect(page.locator("#item-R-1")).to_be_focused()
    expect(page.locator("#score .big")).to_have_text("50.0 %")
    settled(page)
    page.screenshot(path=str(_screenshot_dir() / "lo-reconfirm-key.png"), full_page=True)

    # The next item with its Confirm control, then the rest of the area at once.
    page.locator("#item-R-2").get_by_role("button", name="Confirm R-2 as partially met").click()
    expect(page.locator("#item-R-2 .badge-warn")).to_have_count(0)
    settled(page)
    page.get_by_role("button", name="Confirm all unchanged in this area").click()
    expect(page.get_by_text("Confirmed 10 unchanged answers in Communications.")).to_be_visible()
    expect(page.locator(".item-row.reconfirm")).to_have_count(0)
    history = page.locator("#history")
    expect(history).to_contain_text("Confirmed 10 unchanged answers in Communications")
    subject = page.locator(".history-subject", has_text=re.compile(r"^Answer R-1$"))
    entry = history.locator(".history-entry", has=subject)
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Confirmed unchanged from the round before.")
    assert second.responses.filter(needs_reconfirmation=True).count() == 0
    assert second.responses.get(item__code="R-1").version == 2  # one save each

    # At phone width the score bar stays in view while scrolling the items.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator("#item-R-12").scroll_into_view_if_needed()
    bar = page.locator("#score-bar")
    expect(bar).to_be_visible()
    assert bar.bounding_box()["y"] < 5
    page.screenshot(path=str(_screenshot_dir() / "lo-reconfirm-phone.png"))


CSP_PAGES = [
    "/",
    "/partners/",
    "/partners/{colombia}/",
    "/partners/{colombia}/edit/",
    "/agreements/",
    "/agreements/new/",
    "/engagements/",
    "/mandates/",
    "/legal/queue/",
    "/clearance/",
    "/coverage/",
    "/assessments/",
    "/assessments/{assessment}/",
    "/assessments/{assessment}/compare/{assessment}/",
    "/checklists/",
    "/gap-reports/",
    "/gap-reports/new/",
    "/gap-reports/{report}/",
    "/gap-reports/{report}/sections/interoperability/",
    "/gap-reports/{running}/",
    "/no-such-page/",
    "/admin/",
    "/admin/agreements/partner/",
    "/admin/agreements/partner/{colombia}/change/",
    "/api/docs/",
]


@pytest.mark.browser
def test_the_main_pages_htmx_and_the_api_docs_work_under_the_content_security_policy(
    personas, page
) -> None:
    import yaml

    from checklists.gap_reports.models import GapReport
    from checklists.services import assessment_create, template_load
    from checklists.services.gap_reports import gap_report_generate

    expect = playwright_api.expect
    document = {
        "urn": "urn:accord:test:csp",
        "version": 1,
        "title": "CSP",
        "provider": "tests",
        "items": [
            {
                "code": "C-1",
                "area": "communications",
                "requirement": "One.",
                "criticality": "low",
                "weight": 1,
            }
        ],
    }
    template = template_load(content=yaml.safe_dump(document)).template
    assessment = assessment_create(by=personas.admin, partner=personas.colombia, template=template)
    # Generated in place (no task queued: a live-server test's commits run on_commit at once).
    report = gap_report_generate(
        report=GapReport.objects.create(as_of=date.today(), generated_by=personas.manager)
    )
    running = GapReport.objects.create(
        as_of=date.today() - timedelta(days=1), status=GapReport.Status.RUNNING, progress=30
    )
    violations: list[str] = []

    def on_console(message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    response = page.goto("/login/")
    assert response is not None
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your desk")).to_be_visible()
    page.goto("/partners/")
    expect(page.get_by_role("heading", name="Partners", exact=True)).to_be_visible()

    # HTMX still swaps in place: the search narrows the table, a key press saves and rescores.
    page.wait_for_load_state("networkidle")
    page.get_by_label("Search partners").fill("navy")
    expect(page.locator("table.list").get_by_role("link", name="Panama")).to_have_count(0)
    page.goto(f"/assessments/{assessment.pk}/")
    page.locator("#item-C-1").focus()
    page.keyboard.press("2")  # met
    expect(page.locator("#score .big")).to_have_text("100.0 %")
    settled(page)

    for address in CSP_PAGES:
        page.goto(
            address.format(
                colombia=personas.colombia.pk,
                assessment=assessment.pk,
                report=report.pk,
                running=running.pk,
            )
        )
        page.wait_for_load_state("networkidle")
        if address == "/api/docs/":
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("Accord API")
            expect(page.locator(".opblock").first).to_be_visible()
    assert not violations, "\n".join(violations)


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.browser
def test_the_liaison_officer_hits_an_edit_conflict_and_keeps_their_text(personas, page) -> None:
    from django.db.models import F

    from agreements.models import Agreement
    from tests.factories import AgreementFactory

    expect = playwright_api.expect
    mou = AgreementFactory(
        reference="MOU-COL-2024-003", owner=personas.lo, parties=[personas.colombia]
    )
    _sign_in(page, "maria")
    page.goto(f"/agreements/{mou.pk}/edit/")
    page.get_by_label("Summary").fill("Covers riverine training on the Magdalena.")
    # Someone else saves the agreement while the form is open.
    Agreement.objects.filter(pk=mou.pk).update(version=F("version") + 1, title="Their title")
    page.get_by_role("button", name="Save changes").click()

    kept = page.locator("#stale-values")
    expect(kept).to_contain_text("Your unsaved values")
    expect(kept).to_contain_text("Covers riverine training on the Magdalena.")
    expect(page.get_by_label("Title")).to_have_value("Their title")
    page.screenshot(path=str(_screenshot_dir() / "lo-edit-conflict.png"), full_page=True)

    # A refused party shows its error in the open panel, swapped in place.
    page.goto(f"/agreements/{mou.pk}/")
    page.get_by_text("Add a party").click()
    panel = page.locator("#party-panel")
    panel.get_by_label("Reservations").fill("Article 4 does not apply.")
    panel.get_by_role("button", name="Add party").click()
    settled(page)
    expect(panel.locator(".has-error")).to_contain_text("This field is required.")
    expect(panel.get_by_label("Reservations")).to_have_value("Article 4 does not apply.")
    page.screenshot(path=str(_screenshot_dir() / "lo-party-panel-error.png"), full_page=True)


@pytest.mark.browser
def test_the_legal_advisor_returns_an_agreement_for_changes(personas, page) -> None:
    from agreements.models import Agreement
    from tests.factories import AgreementFactory

    expect = playwright_api.expect
    mou = AgreementFactory(
        reference="MOU-COL-2024-003",
        owner=personas.lo,
        parties=[personas.colombia],
        status=Agreement.Status.LEGAL_REVIEW,
    )
    _sign_in(page, "hannah")
    page.goto(f"/agreements/{mou.pk}/")
    page.get_by_role("link", name="Return for changes…").click()
    page.get_by_label("What must change").fill("Article 7 needs a data-protection clause.")
    page.screenshot(path=str(_screenshot_dir() / "la-return-confirm.png"), full_page=True)
    page.get_by_role("button", name="Return for changes").click()

    expect(page.get_by_text("Now in negotiation.")).to_be_visible()
    expect(page.locator("section", has_text="Lifecycle log")).to_contain_text(
        "Returned from legal review, changes requested: Article 7 needs a data-protection clause."
    )
    page.screenshot(path=str(_screenshot_dir() / "la-returned.png"), full_page=True)
    mou.refresh_from_db()
    assert mou.status == Agreement.Status.NEGOTIATION


@pytest.mark.browser
def test_at_phone_width_the_navigation_wraps_and_sign_out_stays_in_view(personas, page) -> None:
    expect = playwright_api.expect
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your desk")).to_be_visible()
    page.screenshot(path=str(_screenshot_dir() / "phone-390-desk.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/partners/")
    expect(page.get_by_role("heading", name="My partners")).to_be_visible()
    page.screenshot(path=str(_screenshot_dir() / "phone-390-partners.png"))
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_in_viewport()
    box = sign_out.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    # Every section of the navigation is on screen (wrapped, not cut off) and nothing scrolls
    # sideways.
    for link in page.locator("nav.mainnav a").all():
        expect(link).to_be_in_viewport()
        link_box = link.bounding_box()
        assert link_box is not None and link_box["x"] + link_box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
def test_a_list_filtered_in_place_comes_back_filtered_after_back(personas, page) -> None:
    from datetime import date

    from tests.factories import AgreementFactory

    expect = playwright_api.expect
    AgreementFactory(reference="MOU-COL-2020-001", title="Riverine", parties=[personas.colombia])
    AgreementFactory(reference="MOU-COL-2021-002", title="Coastal", parties=[personas.colombia])
    AgreementFactory(
        reference="MOU-COL-2022-003",
        title="Harbour",
        parties=[personas.colombia],
        expires_on=date(2030, 1, 1),
    )
    page.goto("/login/")
    page.get_by_label("Username").fill("maria")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/agreements/")
    page.get_by_label("Search agreements").fill("Coastal")
    table = page.locator("#agreement-table")
    expect(table.get_by_role("link", name="MOU-COL-2020-001")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"q=Coastal"))
    settled(page)
    table.get_by_role("link", name="MOU-COL-2021-002").click()
    expect(page.get_by_role("heading", name=re.compile("MOU-COL-2021-002"))).to_be_visible()
    page.go_back()
    settled(page)
    expect(page.get_by_label("Search agreements")).to_have_value("Coastal")
    expect(table.get_by_role("link", name="MOU-COL-2021-002")).to_be_visible()
    expect(table.get_by_role("link", name="MOU-COL-2020-001")).to_have_count(0)
