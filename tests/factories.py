from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from agreements.models import ActivityType, Agreement, AgreementParty, Partner

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@accord.test")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: Any) -> None:
        # get_or_create: a transactional test before this one may have flushed the seeded groups.
        for role in extracted or []:
            self.groups.add(Group.objects.get_or_create(name=role)[0])


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Partner nation {n}")
    kind = Partner.Kind.NATION
    country_code = "CO"
    region = Partner.Region.SOUTH_AMERICA
    status = Partner.Status.ACTIVE

    @factory.post_generation
    def liaison_officers(self, create: bool, extracted: list | None, **kwargs: Any) -> None:
        if create and extracted:
            self.liaison_officers.set(extracted)


def activity(code: str) -> ActivityType:
    """A seeded activity type (re-created if a transactional test flushed the seed)."""
    name = code.replace("-", " ").capitalize()
    return ActivityType.objects.get_or_create(code=code, defaults={"name": name})[0]


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement
        skip_postgeneration_save = True

    reference = factory.Sequence(lambda n: f"MOU-TST-2024-{n:04d}")
    title = factory.Sequence(lambda n: f"Test arrangement {n}")
    kind = Agreement.Kind.MOU
    status = Agreement.Status.DRAFT

    @factory.post_generation
    def activity_types(self, create: bool, extracted: list | None, **kwargs: Any) -> None:
        if create and extracted:
            self.activity_types.set(extracted)

    @factory.post_generation
    def parties(self, create: bool, extracted: list | None, **kwargs: Any) -> None:
        for partner in extracted or []:
            AgreementParty.objects.create(agreement=self, partner=partner)
