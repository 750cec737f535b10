from django.db import migrations


def default_rules(apps, schema_editor):
    """A rule for every deadline kind the apps declare, with the kind's defaults (lead times
    such as 90, 60, 30, 7 and 0 days, recipients, escalation). Kinds added later get theirs
    from `ensure_default_rules()` the first time the scan or the rules page runs."""
    from config.reminders.registry import kinds

    ReminderRule = apps.get_model("accord", "ReminderRule")
    existing = set(ReminderRule.objects.values_list("kind", flat=True))
    ReminderRule.objects.bulk_create(
        [
            ReminderRule(
                kind=kind.code,
                lead_days=list(kind.default_leads),
                recipients=[str(r) for r in kind.default_recipients],
                escalate=kind.default_escalation_days is not None,
                escalate_after_days=kind.default_escalation_days,
            )
            for kind in kinds()
            if kind.code not in existing
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("accord", "0004_reminders")]

    operations = [migrations.RunPython(default_rules, migrations.RunPython.noop)]
