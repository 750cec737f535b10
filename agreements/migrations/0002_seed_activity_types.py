from django.db import migrations

ACTIVITY_TYPES = [
    ("maritime-interdiction", "Maritime interdiction",
     "Stopping, boarding and searching vessels suspected of illicit trafficking at sea."),
    ("intelligence-sharing", "Intelligence sharing",
     "Exchanging information and intelligence products between services."),
    ("joint-training", "Joint training",
     "Courses, mobile training teams and exchanges that build common skills."),
    ("joint-exercise", "Joint exercise",
     "Planned exercises with forces of both sides taking part."),
    ("logistics-support", "Logistics support",
     "Fuel, supplies, maintenance, transport and host-nation support."),
    ("capacity-building", "Capacity building",
     "Equipment, infrastructure and institutional support to a partner's services."),
    ("ship-rider-embarkation", "Ship-rider embarkation",
     "A partner's law-enforcement officials embarked on our vessels, or ours on theirs."),
    ("overflight-and-landing", "Overflight and landing",
     "Aircraft flying over or landing in a partner's territory."),
    ("port-visit", "Port visit",
     "A vessel entering a partner's port for logistics, liberty or diplomacy."),
    ("detention-and-transfer", "Detention and transfer",
     "Holding suspects and handing them, with seized vessels and evidence, to a state."),
    ("surveillance-and-reconnaissance", "Surveillance and reconnaissance",
     "Maritime and air patrols that detect, monitor and track."),
    ("humanitarian-assistance", "Humanitarian assistance",
     "Disaster relief and humanitarian support alongside a partner."),
]


def seed(apps, schema_editor):
    ActivityType = apps.get_model("agreements", "ActivityType")
    for code, name, description in ACTIVITY_TYPES:
        ActivityType.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
