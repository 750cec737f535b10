import os, time, cProfile, pstats, io
os.environ["DATABASE_URL"]="postgres://accord:accord@127.0.0.1:55432/profl"; os.environ["DJANGO_SETTINGS_MODULE"]="config.settings"
import django; django.setup()
from django.core.management import call_command
from django.test.utils import setup_test_environment
setup_test_environment()
from pathlib import Path
from agreements.models import Agreement as _A
call_command("migrate", verbosity=0)
fresh = not _A.objects.exists()
call_command("migrate", verbosity=0)
from agreements import bench
from agreements.models import Agreement
from django.contrib.auth import get_user_model
if fresh:
    ctx = bench.generate("L")
U=get_user_model()
lo=U.objects.get(username="bench-lo-0"); mgr=U.objects.get(username="bench-manager")
from rest_framework.test import APIClient
from django.db import connection, reset_queries
from django.conf import settings
settings.DEBUG=True
from agreements.models import Partner
part=Partner.objects.order_by("pk").first()
for user, p in ((lo, {"page_size":100,"status":"in_force","expires_before":"2046-11-21"}), (mgr, {"page_size":100,"partner":part.pk,"notice_deadline_before":"2036-11-21"}), (lo, {"page_size":100,"partner":part.pk,"notice_deadline_before":"2036-11-21"})):
    c=APIClient(); c.force_authenticate(user)
    c.get("/api/v1/agreements/", p)
    reset_queries()
    t=time.perf_counter(); r=c.get("/api/v1/agreements/", p); total=(time.perf_counter()-t)*1000
    print(user.username, "total", round(total,1), "count", r.json()["count"])
    for q in connection.queries: print("  ", q["time"], q["sql"][:150])



