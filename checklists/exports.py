"""What the assessments download holds: the list page's rows with their scores, written to CSV
or XLSX by config.exports."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from django.db.models import QuerySet

from checklists.models import Assessment
from checklists.selectors import Score, scores_for
from config.exports import Column

ASSESSMENT_EXPORT = [
    Column("Partner", lambda row: row[0].partner.name),
    Column("Kind", lambda row: row[0].get_kind_display()),
    Column("Template", lambda row: row[0].template.title),
    Column("Template version", lambda row: row[0].template.version),
    Column("Status", lambda row: row[0].get_status_display()),
    Column("Score (%)", lambda row: row[1].overall),
    Column("Level", lambda row: row[1].level),
    Column("Level capped", lambda row: row[1].capped),
    Column("Answered (%)", lambda row: row[1].completion),
    Column("Due on", lambda row: row[0].due_on),
    Column("Assessor", lambda row: row[0].assessor.get_username() if row[0].assessor else None),
    Column("Started", lambda row: row[0].created_at),
]

CHUNK = 500


def assessment_rows(assessments: QuerySet[Assessment]) -> Iterator[tuple[Assessment, Score]]:
    """Each assessment with its score, scored a chunk at a time: a fixed number of queries per
    500 rows, and a long list streams instead of sitting whole in memory."""
    rows = assessments.iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        scores = scores_for([a.pk for a in chunk])
        for assessment in chunk:
            yield assessment, scores[assessment.pk]
