"""Reports (one citizen's submission), issues (the physical problem, the unit of work), categories.

Personal data lives only in Reporter (and in the private photo_location of a Report); public
serializers, pages and exports never read those columns.
"""

import re
import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.models import Area, Department, ExternalBody, Translated, localized
from geo.units import WGS84
from reports.texts import text_in

# No 0/O, 1/I/L: the code is read out on the phone and typed from paper.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 8


def new_tracking_code() -> str:
    """Return a random public tracking code such as 'K7QM-2XPA' (about 40 bits)."""
    raw = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


class CategoryGroup(Translated):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    color = models.CharField(_("map colour"), max_length=7, default="#555555")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category group")
        verbose_name_plural = _("category groups")
        ordering = ["order", "code"]


class Category(Translated):
    """What a citizen can report; Open311 calls it a service."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    group = models.ForeignKey(
        CategoryGroup, on_delete=models.PROTECT, related_name="categories", verbose_name=_("group")
    )
    description_it = models.TextField(_("description (Italian)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=300, blank=True)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="categories",
        verbose_name=_("department"),
    )
    base_severity = models.PositiveSmallIntegerField(
        _("base severity (1-5)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    sla_working_days = models.PositiveSmallIntegerField(_("SLA (working days)"), default=10)
    take_in_charge_working_days = models.PositiveSmallIntegerField(
        _("time to take in charge (working days)"), default=2
    )
    duplicate_radius_m = models.PositiveSmallIntegerField(
        _("duplicate radius (metres)"), default=30
    )
    match_whole_group = models.BooleanField(
        _("duplicates across the group"),
        default=False,
        help_text=_("Reports of any category of the same group may join the same issue."),
    )
    areas = models.ManyToManyField(
        Area,
        blank=True,
        related_name="categories",
        verbose_name=_("offered in"),
        help_text=_("Leave empty to offer the category everywhere in the municipality."),
    )
    handled_by_municipality = models.BooleanField(_("handled by the municipality"), default=True)
    redirect_body = models.ForeignKey(
        ExternalBody,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="redirected_categories",
        verbose_name=_("competent body"),
    )
    redirect_instructions_it = models.TextField(_("where to go instead (Italian)"), blank=True)
    redirect_instructions_en = models.TextField(_("where to go instead (English)"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["group__order", "order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(handled_by_municipality=False) | Q(department__isnull=False),
                name="category_handled_needs_department",
            )
        ]

    @property
    def description(self) -> str:
        return localized(self.description_it, self.description_en)

    @property
    def redirect_instructions(self) -> str:
        return localized(self.redirect_instructions_it, self.redirect_instructions_en)


class Question(models.Model):
    """A typed extra question of a category (an Open311 service-definition attribute)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        NUMBER = "number", _("number")
        CHOICE = "choice", _("single choice")
        MULTICHOICE = "multichoice", _("multiple choice")
        DATE = "date", _("date")

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("code"), max_length=60)
    label_it = models.CharField(_("question (Italian)"), max_length=300)
    label_en = models.CharField(_("question (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    required = models.BooleanField(_("required"), default=False)
    # [{"key": "a", "it": "...", "en": "..."}] for choice and multichoice.
    choices = models.JSONField(_("choices"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["category", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="question_code_per_category")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self.label_it, self.label_en)

    def choice_labels(self) -> list[tuple[str, str]]:
        return [(c["key"], localized(c.get("it", c["key"]), c.get("en", ""))) for c in self.choices]

    def clean(self) -> None:
        """Refuse choices every reader could not use: one typo took the whole catalogue down."""
        problem = choices_problem(self.kind, self.choices)
        if problem:
            raise ValidationError({"choices": problem})


CHOICES_EXAMPLE = '[{"key": "off", "it": "Spento", "en": "Off"}]'


def choices_problem(kind: str, choices: object) -> str | None:
    """Return what is wrong with a question's choices for its kind, or None if they are fine.

    Choice questions need a list of objects with a unique slug "key" and an Italian label "it"
    (an English "en" is optional); other kinds take no choices.
    """
    if kind not in (Question.Kind.CHOICE, Question.Kind.MULTICHOICE):
        if choices:
            return str(
                _("Only single and multiple choice questions take choices: leave them empty.")
            )
        return None
    example = {"example": CHOICES_EXAMPLE}
    if not isinstance(choices, list) or not choices:
        return _("Give the choices as a list, for example %(example)s.") % example
    keys: set[str] = set()
    for choice in choices:
        if not isinstance(choice, dict) or not set(choice) <= {"key", "it", "en"}:
            return _("Each choice is an object with key, it and en, for example %(example)s.") % (
                example
            )
        key, label_it = choice.get("key"), choice.get("it")
        if not isinstance(key, str) or not re.fullmatch(r"[-a-zA-Z0-9_]+", key):
            return _(
                "Each choice needs a key of letters, digits, - or _, for example %(example)s."
            ) % (example)
        if key in keys:
            return _("The key %(key)s is used twice.") % {"key": key}
        keys.add(key)
        if not isinstance(label_it, str) or not label_it.strip():
            return _("The choice %(key)s needs an Italian label (it).") % {"key": key}
        if not isinstance(choice.get("en", ""), str):
            return _("The English label (en) of the choice %(key)s must be text.") % {"key": key}
    return None


class Reporter(models.Model):
    """The person behind reports: an account, or just an e-mail or phone. Personal data."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    language = models.CharField(_("language"), max_length=8, default="it")
    created_at = models.DateTimeField(default=timezone.now)
    # 0-1 from staff's qualifications of their reports (care.reliability); None until the first.
    reliability = models.FloatField(null=True, blank=True)
    # When the owner of the e-mail address confirmed it (reports.notify's signed link), or the
    # row became an account's. Contact details nobody confirmed make a row of their own, which
    # never merges into a person's history (reports.actions.reporter_for).
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reporter")
        verbose_name_plural = _("reporters")

    def __str__(self) -> str:
        return f"reporter #{self.pk}"


class Status(models.TextChoices):
    """The internal workflow; PUBLIC_STATUS maps it to what the public sees."""

    NEW = "new", _("new, to triage")
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING_CITIZEN = "waiting_citizen", _("waiting for the citizen")
    WAITING_EXTERNAL = "waiting_external", _("waiting for the external body")
    REOPENED = "reopened", _("reopened")
    CLOSED = "closed", _("closed")


class PublicStatus(models.TextChoices):
    OPEN = "open", _("open")
    UNDER_REVIEW = "under_review", _("under review")
    CLOSED = "closed", _("closed")


PUBLIC_STATUS = {
    Status.NEW: PublicStatus.OPEN,
    Status.REOPENED: PublicStatus.OPEN,
    Status.ASSIGNED: PublicStatus.UNDER_REVIEW,
    Status.IN_PROGRESS: PublicStatus.UNDER_REVIEW,
    Status.WAITING_CITIZEN: PublicStatus.UNDER_REVIEW,
    Status.WAITING_EXTERNAL: PublicStatus.UNDER_REVIEW,
    Status.CLOSED: PublicStatus.CLOSED,
}
OPEN_STATUSES = [s.value for s, p in PUBLIC_STATUS.items() if p != PublicStatus.CLOSED]


def public_status(status: str) -> str:
    """Return what the public sees of an internal status."""
    return PUBLIC_STATUS[Status(status)].value


def internal_statuses(public: str) -> list[str]:
    """Return the internal statuses shown to the public as `public`."""
    return [s.value for s, p in PUBLIC_STATUS.items() if p == public]


class CloseReason(models.TextChoices):
    FIXED = "fixed", _("fixed")
    SCHEDULED = "scheduled", _("work scheduled")
    FORWARDED = "forwarded", _("forwarded to the competent body")
    NOT_COMPETENT = "not_competent", _("not the municipality's competence")
    DUPLICATE = "duplicate", _("duplicate")
    NOT_REPRODUCIBLE = "not_reproducible", _("not found on site")


class Channel(models.TextChoices):
    WEB = "web", _("web")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")
    COUNTER = "counter", _("counter")


class Issue(models.Model):
    """The physical problem: owns status, priority, department, SLA and timeline."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="issues")
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="issues"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    # The operators' group the assignment rules gave it (backoffice.assignment), if any.
    operator_group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The centre of its reports: new reports are matched against it (no chaining).
    location = models.PointField(srid=WGS84, spatial_index=False)
    address = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    emergency = models.BooleanField(default=False)
    hidden = models.BooleanField(
        default=False, help_text=_("Hidden from the public by moderation.")
    )
    report_count = models.PositiveIntegerField(default=0)
    supporter_count = models.PositiveIntegerField(default=0)
    priority = models.FloatField(default=0.0)
    priority_explained = models.JSONField(default=dict, blank=True)
    first_reported_at = models.DateTimeField()
    last_reported_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)
    take_in_charge_due_at = models.DateTimeField(null=True, blank=True)
    taken_in_charge_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_issues"
    )
    # Optimistic locking for staff edits: bumped by every action that changes the issue.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        indexes = [
            # Public map and API bbox queries over open issues.
            # (An expression, because the PostGIS schema editor drops the condition of a
            # spatial index declared with fields=.)
            GistIndex(
                F("location"),
                name="issue_open_location_gist",
                condition=~Q(status="closed"),
            ),
            # Open issues nearest first in metres ("already reported?", the matcher's
            # candidates): KNN (<->) on geography measures metres on the sphere, on the
            # geometry index above it measures degrees (clustering.candidates).
            GistIndex(
                Cast("location", models.PointField(geography=True, srid=WGS84)),
                name="issue_open_geography_gist",
                condition=~Q(status="closed"),
            ),
            # Same for the "recently closed" layer and history queries.
            GistIndex(fields=["location"], name="issue_location_gist"),
            # Department queues ordered by priority.
            models.Index(
                fields=["department", "-priority"],
                name="issue_open_queue",
                condition=~Q(status="closed"),
            ),
            # The whole city's queue by priority (administrators, operators): the first page
            # reads 50 index entries instead of sorting every open issue (bench/scale.py,
            # 50,000 open: 128 ms to 3 ms for the query).
            models.Index(
                fields=["-priority", "id"],
                name="issue_open_priority",
                condition=~Q(status="closed"),
            ),
            models.Index(fields=["status", "-last_reported_at"], name="issue_status_recent"),
            # care.escalation's sweep: open issues past their closing deadline.
            models.Index(fields=["due_at"], name="issue_open_due", condition=~Q(status="closed")),
            # care.escalation's sweep: issues nobody has taken in charge yet, by deadline.
            models.Index(
                fields=["take_in_charge_due_at"],
                name="issue_untaken_due",
                condition=Q(taken_in_charge_at__isnull=True) & ~Q(status="closed"),
            ),
            # Open311 GET requests: public issues by first report, newest first, in a date
            # window (open311.views); without it PostgreSQL sorts every issue in the window.
            models.Index(
                F("first_reported_at").desc(),
                F("id").desc(),
                name="issue_public_recent",
                condition=Q(hidden=False),
            ),
            # care.ratings: recently closed issues whose followers are invited to rate.
            models.Index(
                fields=["closed_at"], name="issue_closed_at", condition=Q(status="closed")
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category}"

    @property
    def public_status(self) -> str:
        return public_status(self.status)

    @property
    def people(self) -> int:
        """Distinct people who reported or supported it (the priority's count; else reports)."""
        return int(self.priority_explained.get("people", self.report_count))


class Report(models.Model):
    """One citizen's submission; always belongs to one issue."""

    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="reports")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="reports")
    location = models.PointField(srid=WGS84, spatial_index=False)
    # Metres the phone's GPS vouched for when it placed the pin; null for a pin set by hand.
    location_accuracy_m = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    description = models.TextField(max_length=4000, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    urgency = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    emergency = models.BooleanField(default=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    reporter = models.ForeignKey(
        Reporter, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    tracking_code = models.CharField(max_length=9, unique=True, default=new_tracking_code)
    # Where the first photo says it was taken (EXIF GPS): exact metadata, staff only.
    photo_location = models.PointField(srid=WGS84, null=True, blank=True, spatial_index=False)
    hidden = models.BooleanField(default=False)
    # An operator put this report in its issue (merge, split): automatic re-clustering keeps it.
    placed_by_staff = models.BooleanField(default=False)
    # Why the report joined (or opened) its issue: clustering.match.Decision's evidence.
    match = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=8, default="it")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            # Nearby reports and re-clustering.
            GistIndex(fields=["location"], name="report_location_gist"),
        ]

    def __str__(self) -> str:
        return self.tracking_code


def photo_path(instance: "Photo", filename: str) -> str:
    # The stored name never carries the citizen's file name (it may hold personal data).
    return f"photos/{secrets.token_hex(2)}/{secrets.token_hex(12)}.jpg"


def thumbnail_path(instance: "Photo", filename: str) -> str:
    return f"thumbs/{secrets.token_hex(2)}/{secrets.token_hex(12)}.jpg"


class Photo(models.Model):
    """A photo of a report, re-encoded without any metadata."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path)
    thumbnail = models.ImageField(upload_to=thumbnail_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    phash = models.CharField(max_length=16, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["report", "position"]

    def __str__(self) -> str:
        return f"photo {self.pk} of {self.report_id}"


class TimelineEntry(models.Model):
    """One change of an issue: who, when, what, and whether the public sees it."""

    class Kind(models.TextChoices):
        CREATED = "created", _("issue opened")
        REPORT_ADDED = "report_added", _("new report")
        STATUS = "status", _("status changed")
        PUBLIC_REPLY = "reply", _("reply")
        INTERNAL_NOTE = "note", _("internal note")
        EMERGENCY = "emergency", _("emergency escalation")
        ADDRESS = "address", _("address found")
        ASSIGNED = "assigned", _("assigned")
        SUPPORTED = "supported", _("someone else has this problem too")
        MERGED = "merged", _("merged with another issue")
        SPLIT = "split", _("reports moved to another issue")
        CATEGORY = "category", _("category changed")
        FORWARDED = "forwarded", _("forwarded to an external body")
        EXTERNAL_ANSWER = "external_answer", _("answer of the external body")
        MODERATED = "moderated", _("moderated")
        ESCALATED = "escalated", _("deadline missed: escalated")

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    public = models.BooleanField(default=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    close_reason = models.CharField(max_length=20, choices=CloseReason.choices, blank=True)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["issue", "created_at"], name="timeline_issue_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on #{self.issue_id}"

    @property
    def shown_text(self) -> str:
        """The entry's words in the active language (reports.texts): what Segnala wrote in
        every language, what a person typed as typed."""
        return text_in(self.text, self.data)


class Supporter(models.Model):
    """Someone who said "me too" for an issue without filing a report."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="supporters")
    reporter = models.ForeignKey(
        Reporter, null=True, blank=True, on_delete=models.SET_NULL, related_name="supports"
    )
    # A hash of the browser session, to count one "me too" per person without an account.
    session_hash = models.CharField(max_length=64, blank=True)
    # A keyed hash of the client's address (never the address): at most one "me too" per
    # address and issue from people nobody can tell apart (no account, no confirmed e-mail).
    client_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("supporter")
        verbose_name_plural = _("supporters")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "reporter"],
                condition=Q(reporter__isnull=False),
                name="supporter_once_per_reporter",
            ),
            models.UniqueConstraint(
                fields=["issue", "session_hash"],
                condition=~Q(session_hash=""),
                name="supporter_once_per_session",
            ),
            models.UniqueConstraint(
                fields=["issue", "client_hash"],
                condition=~Q(client_hash=""),
                name="supporter_once_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"supporter of #{self.issue_id}"


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(24)


class Subscription(models.Model):
    """A person who receives the issue's public updates by e-mail (reporters and supporters)."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="subscriptions")
    reporter = models.ForeignKey(Reporter, on_delete=models.CASCADE, related_name="subscriptions")
    token = models.CharField(max_length=40, unique=True, default=new_unsubscribe_token)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["issue", "reporter"], name="subscription_once")
        ]

    def __str__(self) -> str:
        return f"subscription to #{self.issue_id}"


class Delivery(models.Model):
    """One e-mail of a timeline entry to one subscriber: the row makes sending idempotent."""

    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "subscription"], name="delivery_once")
        ]

    def __str__(self) -> str:
        return f"entry {self.entry_id} to subscription {self.subscription_id}"


class SubmissionKey(models.Model):
    """An Idempotency-Key a client sent with a report: the same key never files twice."""

    key = models.CharField(max_length=100, unique=True)
    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="submission_key")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.key
