from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from checklists.exceptions import ChecklistsError
from checklists.models import ChecklistItem, ChecklistTemplate
from checklists.services import template_load

LIBRARY = Path(__file__).resolve().parents[2] / "checklists" / "library"


def template(**overrides: object) -> dict:
    document = {
        "urn": "urn:accord:test:liaison",
        "version": 1,
        "title": "Liaison basics",
        "provider": "Accord tests",
        "items": [
            {
                "code": "T-01",
                "area": "communications",
                "requirement": "24/7 contact known.",
                "criticality": "high",
                "weight": 3,
            },
            {
                "code": "T-02",
                "area": "language_liaison",
                "requirement": "Interpreter agreed.",
                "criticality": "low",
            },
        ],
    }
    document.update(overrides)
    return document


def dump(document: object) -> str:
    return yaml.safe_dump(document, sort_keys=False)


@pytest.mark.django_db
def test_the_shipped_library_loads_once_and_is_skipped_the_second_time() -> None:
    out = io.StringIO()
    call_command("load_checklist_templates", stdout=out)
    assert "published" in out.getvalue()
    counts = (ChecklistTemplate.objects.count(), ChecklistItem.objects.count())
    assert counts[0] == len(list(LIBRARY.glob("*.yaml"))) and counts[1] >= 20
    out = io.StringIO()
    call_command("load_checklist_templates", stdout=out)
    assert "unchanged, skipped" in out.getvalue()
    assert (ChecklistTemplate.objects.count(), ChecklistItem.objects.count()) == counts


@pytest.mark.django_db
def test_a_changed_template_with_the_same_version_is_refused_and_a_new_version_is_added() -> None:
    template_load(content=dump(template()))
    changed = template()
    changed["items"][0]["requirement"] = "Reworded."
    with pytest.raises(ChecklistsError, match="already published with different content"):
        template_load(content=dump(changed))
    assert ChecklistItem.objects.get(code="T-01").requirement == "24/7 contact known."
    result = template_load(content=dump({**changed, "version": 2}))
    assert result.created
    assert ChecklistTemplate.objects.filter(urn="urn:accord:test:liaison").count() == 2


@pytest.mark.django_db
def test_a_published_version_cannot_be_edited() -> None:
    item = template_load(content=dump(template())).template.items.first()
    item.requirement = "Sneaky change."
    with pytest.raises(ChecklistsError, match="never changes"):
        item.save()


@pytest.mark.parametrize(
    ("document", "where", "message"),
    [
        ("- just\n- a list\n", "file", "not a mapping"),
        ("urn: [unclosed\n", "file", ""),
        (
            dump(
                template(
                    items=[
                        {
                            "code": "A",
                            "area": "communications",
                            "requirement": "x",
                            "criticality": "high",
                        },
                        {
                            "code": "A",
                            "area": "communications",
                            "requirement": "y",
                            "criticality": "low",
                        },
                    ]
                )
            ),
            "items[2] (A).code",
            "Duplicate code",
        ),
        (
            dump(
                template(
                    items=[
                        {
                            "code": "A",
                            "area": "astrology",
                            "requirement": "x",
                            "criticality": "high",
                        }
                    ]
                )
            ),
            "items[1] (A).area",
            "Unknown area",
        ),
        (
            dump(
                template(
                    items=[
                        {
                            "code": "A",
                            "area": "medical",
                            "requirement": "x",
                            "criticality": "high",
                            "weight": 42,
                        }
                    ]
                )
            ),
            "items[1] (A).weight",
            "out of range",
        ),
        (
            dump(template(items=[{"code": "A", "area": "medical", "criticality": "high"}])),
            "items[1] (A).requirement",
            "required",
        ),
        (dump({k: v for k, v in template().items() if k != "provider"}), "provider", "required"),
        (dump(template(version="two")), "version", "not a version number"),
    ],
)
@pytest.mark.django_db
def test_a_bad_template_names_the_item_and_field_and_writes_nothing(
    document: str, where: str, message: str
) -> None:
    with pytest.raises(ChecklistsError) as refused:
        template_load(content=document)
    assert where in refused.value.field_errors
    assert message in " ".join(refused.value.field_errors[where])
    assert not ChecklistTemplate.objects.exists()


@pytest.mark.django_db
def test_the_command_fails_on_a_refused_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(dump(template(version=0)))
    with pytest.raises(CommandError, match="1 template file"):
        call_command(
            "load_checklist_templates", str(bad), stdout=io.StringIO(), stderr=io.StringIO()
        )


@pytest.mark.django_db
def test_the_general_template_covers_the_eleven_areas_with_about_a_hundred_items() -> None:
    from checklists.models import Area

    call_command("load_checklist_templates", stdout=io.StringIO())
    general = ChecklistTemplate.objects.get(urn="urn:accord:checklist:coalition-interoperability")
    assert general.items.count() >= 100
    assert set(general.items.values_list("area", flat=True)) == set(Area.values)
    assert general.items.filter(criticality="high").exists()


def _yaml_file(document: object, name: str = "liaison.yaml"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, yaml.safe_dump(document).encode(), "application/yaml")


def test_an_administrator_publishes_a_template_from_the_admin(personas, client) -> None:
    client.force_login(personas.admin)
    listing = client.get("/admin/checklists/checklisttemplate/")
    assert "Upload a template (YAML)" in listing.content.decode()
    url = "/admin/checklists/checklisttemplate/upload/"
    assert client.get(url).status_code == 200
    published = client.post(url, {"file": _yaml_file(template())}, follow=True)
    assert published.status_code == 200
    assert "Published Liaison basics (v1) with 2 items." in published.content.decode()
    again = client.post(url, {"file": _yaml_file(template())}, follow=True)
    assert "already published with this content" in again.content.decode()
    assert ChecklistTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("document", "name", "expected"),
    [
        (
            template(
                items=[{"code": "T-01", "area": "space", "requirement": "r", "criticality": "low"}]
            ),
            "bad.yaml",
            "items[1] (T-01).area: Unknown area",
        ),
        (["not", "a", "mapping"], "list.yaml", "file: The document is not a mapping."),
        (template(), "liaison.txt", "is not a .yaml or .yml file"),
    ],
    ids=["unknown-area", "not-a-mapping", "not-yaml"],
)
def test_a_bad_upload_in_the_admin_names_the_problem_and_writes_nothing(
    personas, client, document, name, expected
) -> None:
    client.force_login(personas.admin)
    refused = client.post(
        "/admin/checklists/checklisttemplate/upload/", {"file": _yaml_file(document, name)}
    )
    assert refused.status_code == 200
    assert expected in refused.content.decode().replace("&quot;", '"')
    assert not ChecklistTemplate.objects.exists() and not ChecklistItem.objects.exists()


def test_only_administrators_reach_the_upload(personas, client) -> None:
    client.force_login(personas.lo)
    response = client.get("/admin/checklists/checklisttemplate/upload/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + n)}: &{chr(98 + n)} [{','.join(['*' + chr(97 + n)] * 9)}]" for n in range(8)]
    + ["urn: *i"]
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (BILLION_LAUGHS, "aliases (*a) are not accepted"),
        (
            dump(template()).replace("title: Liaison basics", "title: &t Liaison\nprovider2: *t"),
            "aliases (*t) are not accepted",
        ),
        ("a:\n" + "".join(f"{'  ' * n}- \n" for n in range(1, 40)), "nested more than"),
        ("[" * 50_000 + "]" * 50_000, "nested more than"),
        (dump(template(items=[{"code": f"X-{n}"} for n in range(600)])), "more than 1,000 values"),
        (dump(template(title="Liaison\x00basics")), "title: Contains a NUL"),
        (dump(template(urn="urn:" + "x" * 300)), "urn: 304 characters long; the limit is 200"),
        (dump(template(version=10**30)), "version: “1000000000000000000000000000000” is not"),
    ],
    ids=[
        "billion-laughs",
        "alias",
        "deep-lists",
        "deep-flow",
        "nodes",
        "nul",
        "long-urn",
        "huge-version",
    ],
)
@pytest.mark.django_db
def test_a_hostile_template_is_refused_before_it_is_built_with_the_problem_named(
    content, expected, settings
) -> None:
    settings.ACCORD_TEMPLATE_MAX_NODES = 1_000
    with pytest.raises(ChecklistsError) as refused:
        template_load(content=content)
    named = [
        f"{field}: {m}" for field, messages in refused.value.field_errors.items() for m in messages
    ]
    assert any(expected in line for line in named), named
    assert not ChecklistTemplate.objects.exists()


@pytest.mark.django_db
def test_a_template_over_the_size_limit_is_refused_unread_by_the_command_and_the_api(
    personas, api, settings, tmp_path: Path
) -> None:
    settings.ACCORD_IMPORT_MAX_BYTES = 1_000
    big = tmp_path / "big.yaml"
    big.write_text(dump(template(description="x" * 2_000)))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 template file"):
        call_command("load_checklist_templates", str(big), stderr=err, stdout=io.StringIO())
    size = big.stat().st_size
    assert f"file: The file is {size:,} bytes; the limit is 1,000 bytes." in err.getvalue()
    with pytest.raises(ChecklistsError, match="too large"):
        template_load(content=big.read_text())
    response = api(personas.admin).post(
        "/api/v1/checklist-templates/",
        {"file": SimpleUploadedFile("big.yaml", big.read_bytes(), "application/yaml")},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    assert "the limit is 1,000 bytes" in response.content.decode()
    assert not ChecklistTemplate.objects.exists()


@pytest.mark.django_db
def test_a_billion_laughs_upload_is_refused_through_the_api(personas, api) -> None:
    response = api(personas.admin).post(
        "/api/v1/checklist-templates/",
        {"file": SimpleUploadedFile("laughs.yaml", BILLION_LAUGHS.encode(), "application/yaml")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "aliases (*a) are not accepted" in response.content.decode()
