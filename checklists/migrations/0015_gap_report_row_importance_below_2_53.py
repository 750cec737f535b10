"""Each gap report row's sort key in the smaller encoding (below 2**53, exact in a JSON
client): dates as days from 1800 held to 1800–2399, a section's rank below 10**8.

The old key was (((group·4 + severity)·3652061 + ordinal)·5 + section)·10**9 + rank, with
ordinal 3652060 for "no date"; the new one is the same with days from 1800 (219146, "no
date" 219145) and 10**8 for the rank. Keys from before the sort key (plain positions)
decode to themselves. One UPDATE, integer arithmetic only."""

from django.db import migrations

OLD_DAYS, OLD_NO_DATE = 3652061, 3652060
FIRST_DAY, LAST_DAY = 657072, 876216
NO_DATE, DAYS = 219145, 219146


def reencode(apps, schema_editor):
    table = schema_editor.quote_name("checklists_gapreportrow")
    greatest, least = (
        ("GREATEST", "LEAST") if schema_editor.connection.vendor == "postgresql" else ("MAX", "MIN")
    )
    rank = "(importance % 1000000000)"
    rest = "(importance / 1000000000)"
    section = f"({rest} % 5)"
    day = f"(({rest} / 5) % {OLD_DAYS})"
    grade = f"(({rest} / 5) / {OLD_DAYS})"
    new_day = (
        f"CASE WHEN {day} = {OLD_NO_DATE} THEN {NO_DATE}"
        f" ELSE {least}({greatest}({day}, {FIRST_DAY}), {LAST_DAY}) - {FIRST_DAY} END"
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET importance ="
            f" (({grade} * {DAYS} + {new_day}) * 5 + {section}) * 100000000 + {rank}"
            f" WHERE importance >= 1000000000"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0014_gap_report_full_view_files"),
    ]

    operations = [
        migrations.RunPython(reencode, migrations.RunPython.noop, elidable=True),
    ]
