"""A gap report edition and its rows: a stored snapshot, so reading one never recomputes it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from agreements.models import Partner
from checklists.exceptions import ChecklistsError
from config.bounds import DATE_VALIDATORS, bounded

MIN_HORIZON_DAYS = 7
MAX_HORIZON_DAYS = 730
DEFAULT_HORIZON_DAYS = 90
HORIZON_VALIDATORS = bounded(MAX_HORIZON_DAYS, "days", minimum=MIN_HORIZON_DAYS)


class GapReport(models.Model):
    """One edition. A done edition never changes; a failed one shows no rows and can be
    retried; a crashed one (still `running` with a stale heartbeat) is failed by the sweep."""

    class Scope(models.TextChoices):
        PORTFOLIO = "portfolio", "Portfolio"
        PARTNER = "partner", "Partner"
        REGION = "region", "Region"

    class Trigger(models.TextChoices):
        ON_DEMAND = "on_demand", "On demand"
        SCHEDULED = "scheduled", "Scheduled"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    OPEN_STATUSES = (Status.QUEUED, Status.RUNNING)

    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.PORTFOLIO)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gap_reports",
        help_text="For a partner edition.",
    )
    region = models.CharField(
        max_length=32, choices=Partner.Region.choices, blank=True, help_text="For a region edition."
    )
    # "portfolio", "partner:12" or "region:caribbean": one non-null column the constraints use.
    scope_key = models.CharField(max_length=60, editable=False)
    as_of = models.DateField(validators=DATE_VALIDATORS)
    horizon_days = models.PositiveSmallIntegerField(
        default=DEFAULT_HORIZON_DAYS,
        validators=HORIZON_VALIDATORS,
        help_text="How far ahead deadlines count, in days.",
    )
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gap_reports",
        help_text="Empty: the weekly schedule.",
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.ON_DEMAND)
    period = models.CharField(
        max_length=10, blank=True, help_text="For a scheduled edition: its ISO week, e.g. 2026-W49."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    progress_label = models.CharField(max_length=120, blank=True)
    reason = models.TextField(blank=True, help_text="Why the generation failed.")
    # Totals over every row (what a reader who sees everything gets); readers who see part of
    # an edition get totals computed from their rows.
    totals = models.JSONField(default=dict, blank=True)
    previous = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The done edition of the same scope this one was compared with.",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Refreshed while the worker generates; a running edition whose heartbeat is stale crashed.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope_key", "period"],
                condition=models.Q(trigger="scheduled"),
                name="gap_report_one_scheduled_per_scope_and_period",
                violation_error_message="This scope already has its edition for the period.",
            ),
            models.UniqueConstraint(
                fields=["scope_key", "as_of", "horizon_days"],
                condition=models.Q(status__in=["queued", "running"]),
                name="gap_report_one_open_per_request",
                violation_error_message="An identical report is already being generated.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(scope="portfolio", partner__isnull=True, region="")
                    | models.Q(scope="partner", partner__isnull=False, region="")
                    | (models.Q(scope="region", partner__isnull=True) & ~models.Q(region=""))
                ),
                name="gap_report_scope_fields_match",
            ),
        ]
        indexes = [
            models.Index(fields=["scope_key", "status", "as_of"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"Gap report {self.scope_label} as of {self.as_of:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.scope_key = self.key_for(self.scope, partner_id=self.partner_id, region=self.region)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "scope_key"}
        if not self._state.adding and (
            GapReport.objects.filter(pk=self.pk, status=self.Status.DONE).exists()
        ):
            raise ChecklistsError("A done gap report edition never changes.")
        super().save(*args, **kwargs)

    @property
    def scope_label(self) -> str:
        if self.scope == self.Scope.PARTNER and self.partner is not None:
            return self.partner.name
        if self.scope == self.Scope.REGION:
            return self.get_region_display()
        return "Portfolio"

    @staticmethod
    def key_for(scope: str, *, partner_id: int | None = None, region: str = "") -> str:
        if scope == GapReport.Scope.PARTNER:
            return f"partner:{partner_id}"
        if scope == GapReport.Scope.REGION:
            return f"region:{region}"
        return "portfolio"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


#: What `shares_of` reads of a row besides its edition, partner, section and rank: held in
#: the row indexes that start with those, so SQLite reads the shares from an index alone.
SHARE_COLUMNS = ("kind", "is_gap", "blocks_planned_work", "importance", "score")


class GapReportRow(models.Model):
    """One gap (or one score) of an edition. `key` is the gap's identity across editions, so
    two editions of a scope compare row by row."""

    class Section(models.TextChoices):
        INTEROPERABILITY = "interoperability", "Interoperability"
        AGREEMENTS = "agreements", "Agreements"
        MANDATES = "mandates", "Mandates"
        SOVEREIGNTY = "sovereignty", "Sovereignty"
        CHANGES = "changes", "What changed"

    class Severity(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    # Every lookup by edition goes through the indexes below, which start with it.
    report = models.ForeignKey(
        GapReport, on_delete=models.CASCADE, related_name="rows", db_index=False
    )
    section = models.CharField(max_length=20, choices=Section.choices)
    kind = models.CharField(max_length=32)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rank = models.PositiveIntegerField(help_text="Order within the section, most important first.")
    importance = models.PositiveBigIntegerField(
        default=0,
        help_text="Order across the sections (a sort key, not a position): the executive "
        "summary's top gaps come first.",
    )
    key = models.CharField(max_length=200)
    is_gap = models.BooleanField(default=True, help_text="False for score rows.")
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    blocks_planned_work = models.BooleanField(default=False)
    due_on = models.DateField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["report", "section", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "section", "key"], name="gap_report_row_key_once"
            )
        ]
        indexes = [
            # An edition's rows in order. This index and the partner index also hold the
            # columns the partners' shares are worked out from (SHARE_COLUMNS), so SQLite
            # reads them from an index alone, never the rows' contents; both are as wide, so
            # that neither looks dearer to SQLite's planner than the other for what it is
            # best at (it has no statistics of fresh rows).
            models.Index(
                fields=["report", "section", "rank", "partner", *SHARE_COLUMNS],
                name="gap_report_row_order_idx",
            ),
            # One kind of a section in order (the page's open items and unassessed partners,
            # the heat map's scores) without walking the section's other rows.
            models.Index(fields=["report", "section", "kind", "rank"]),
            # A reader's share (rows of their partners, rows of no partner) one section at a
            # time, in order: a section's first page reads only the rows it shows.
            models.Index(
                fields=["report", "partner", "section", "rank", *SHARE_COLUMNS],
                name="gap_report_row_partner_idx",
            ),
            models.Index(fields=["report", "importance"]),
        ]

    def __str__(self) -> str:
        return f"{self.section}: {self.key}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ChecklistsError("A gap report row never changes.")
        super().save(*args, **kwargs)


class GapReportShare(models.Model):
    """One partner's part of a done edition, in brief, written with its rows (and one for
    the rows of no partner): the figures its rows add to a summary (gaps per section,
    blocking, scores, unassessed, changes, rows per section) and the ids of its first rows
    of each of the page's heads, with their sort keys. A reader who sees some partners (a
    liaison officer) gets their summary and first rows by adding up and merging their
    partners' shares (a few dozen small rows) instead of going over each of their rows."""

    report = models.ForeignKey(GapReport, on_delete=models.CASCADE, related_name="shares")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The summary's figures ({name: number}) and "rows": {section: number of rows}.
    figures = models.JSONField(default=dict)
    # The top gaps as [[importance, id], …]; the page's other heads as {head: [[rank, id], …]}
    # (apart, so a summary or a count never decodes the heads).
    top = models.JSONField(default=list)
    heads = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "partner"], name="gap_report_share_once"),
            models.UniqueConstraint(
                fields=["report"],
                condition=models.Q(partner__isnull=True),
                name="gap_report_share_of_no_partner_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Share of partner {self.partner_id} in gap report {self.report_id}"


class GapReportSubscription(models.Model):
    """Someone who receives each new edition of a scope by e-mail, with the briefing PDF as
    they may read it. The e-mail goes through the reminders' ledger: once per edition and
    subscriber, whatever happens to the job that generated it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gap_report_subscriptions"
    )
    scope = models.CharField(
        max_length=10, choices=GapReport.Scope.choices, default=GapReport.Scope.PORTFOLIO
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="gap_report_subscriptions",
    )
    region = models.CharField(max_length=32, choices=Partner.Region.choices, blank=True)
    scope_key = models.CharField(max_length=60, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["scope_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope_key"], name="gap_report_subscription_once_per_scope"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ← {self.scope_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.scope_key = GapReport.key_for(
            self.scope, partner_id=self.partner_id, region=self.region
        )
        super().save(*args, **kwargs)

    @property
    def scope_label(self) -> str:
        if self.scope == GapReport.Scope.PARTNER and self.partner is not None:
            return self.partner.name
        if self.scope == GapReport.Scope.REGION:
            return self.get_region_display()
        return "Portfolio"


class GapReportChart(models.Model):
    """A chart of a done edition as one audience sees it, drawn once and kept: drawing a
    large heat map takes seconds, and a done edition never changes. The full view is drawn
    in the transaction that marks the edition done; a reader who sees part of it (a liaison
    officer) gets theirs drawn on first read, keyed by the set of partners they see, so two
    readers with different partners never share one."""

    class Name(models.TextChoices):
        HEAT_MAP = "heat_map", "Heat map"
        SCORE_TREND = "score_trend", "Average score trend"
        GAPS_TREND = "gaps_trend", "Open gaps trend"

    #: The audience of readers who see every partner's rows.
    EVERYONE = "all"

    report = models.ForeignKey(GapReport, on_delete=models.CASCADE, related_name="charts")
    # "all", or "partners:" and a digest of the sorted partner ids the reader sees.
    audience = models.CharField(max_length=80)
    name = models.CharField(max_length=20, choices=Name.choices)
    svg = models.TextField()
    # What the page says about the chart (partners in the edition, partners shown).
    facts = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "audience", "name"], name="gap_report_chart_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} of gap report {self.report_id} ({self.audience})"


class GapReportFile(models.Model):
    """A done edition's briefing PDF or XLSX as a reader who sees every row gets it, rendered
    once by a task after the edition is done (at tier L the XLSX takes a minute to render,
    longer than a web worker may take). A reader who sees part of the edition (a liaison
    officer) never gets it: theirs is rendered from their rows on request.

    The files carry the report marking and the base URL (the PDF's heat-map links) of when
    they were made; they are served only while those settings are unchanged, else the
    download renders the file live as before."""

    class Kind(models.TextChoices):
        PDF = "pdf", "Briefing PDF"
        XLSX = "xlsx", "XLSX workbook"

    report = models.ForeignKey(GapReport, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()
    marking = models.TextField(help_text="ACCORD_REPORT_MARKING when the file was made.")
    base_url = models.TextField(blank=True, help_text="ACCORD_BASE_URL when the file was made.")
    render_ms = models.PositiveIntegerField(help_text="How long rendering the file took.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="gap_report_file_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} of gap report {self.report_id}"
