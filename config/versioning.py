"""Optimistic locking: every editable record carries a version, and a stale save is refused.

The check is a conditional UPDATE that must change exactly one row, taken inside the save's
transaction, so two concurrent editors can never both win, on SQLite and PostgreSQL alike.
Every save path (services, forms, admin, shell) goes through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models, router, transaction
from django.db.models import F

from config.errors import StaleVersionError

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class VersionedModel(models.Model):
    version = models.PositiveIntegerField(
        default=1,
        help_text="Increases by one with every saved change; send it back with an update.",
    )

    # Who saved the change and why, for the history row; set by the service before save().
    _history_user: User | None
    _change_reason: str

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding:
            self.version = 1
            super().save(*args, **kwargs)
            return
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if transaction.get_connection(using).in_atomic_block:
            # The caller's transaction already holds the claim and the write together; a
            # savepoint would only add two statements to every save.
            self._claim_and_save(*args, **kwargs)
        else:
            with transaction.atomic(using=using):
                self._claim_and_save(*args, **kwargs)

    def _claim_and_save(self, *args: Any, **kwargs: Any) -> None:
        manager = type(self)._base_manager
        claimed = manager.filter(pk=self.pk, version=self.version).update(version=F("version") + 1)
        if claimed != 1:
            current = manager.filter(pk=self.pk).values_list("version", flat=True).first()
            raise StaleVersionError(
                instance_label=f"{str(self._meta.verbose_name).capitalize()} “{self}”",
                expected=self.version,
                current=current,
            )
        self.version += 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "version"}
        super().save(*args, **kwargs)


def versioned_update[M: VersionedModel](
    instance: M, *, by: Any, version: int, changes: dict[str, Any]
) -> M:
    """Apply `changes` made on top of `version`: refuse a stale version, validate, then save.

    The early comparison gives the editor a fast, clear 409; the conditional UPDATE in save()
    still settles a race between two editors who both passed it.
    """
    if instance.version != version:
        raise StaleVersionError(
            instance_label=f"{str(instance._meta.verbose_name).capitalize()} “{instance}”",
            expected=version,
            current=instance.version,
        )
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance._history_user = by
    instance.save()
    return instance
