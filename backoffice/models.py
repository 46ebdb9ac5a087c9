import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from geo.models import Department, ExternalBody
from reports.models import Status


class Role(models.TextChoices):
    """What a member of staff may do; scope comes with it (backoffice.roles)."""

    OPERATOR = "operator", _("operator (URP, every department)")
    COORDINATOR = "coordinator", _("department coordinator")
    CREW = "crew", _("crew member")
    EXTERNAL = "external", _("external body")
    MANAGER = "manager", _("manager (reads everything)")
    ADMINISTRATOR = "administrator", _("administrator")


class StaffProfile(models.Model):
    """The role of a user of the back office, and the department or body it is bound to."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("department"),
    )
    external_body = models.ForeignKey(
        ExternalBody,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("external body"),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.role == Role.COORDINATOR and self.department_id is None:
            raise ValidationError({"department": _("A coordinator belongs to a department.")})
        if self.role == Role.EXTERNAL and self.external_body_id is None:
            raise ValidationError({"external_body": _("Choose the external body.")})


class AuditEntry(models.Model):
    """One staff action: who, what, on which object, when, and the fields before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [
            # "What happened to this issue": the admin's audit log filtered by object.
            models.Index(fields=["object_type", "object_id"], name="audit_object")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


class SavedFilter(models.Model):
    """A queue filter a member of staff named to come back to."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query"), max_length=1000)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class Forwarding(models.Model):
    """An issue sent to an external body, which answers through a signed link, no account."""

    issue = models.ForeignKey("reports.Issue", on_delete=models.CASCADE, related_name="forwardings")
    body = models.ForeignKey(ExternalBody, on_delete=models.PROTECT, related_name="forwardings")
    message = models.TextField(_("message"), max_length=4000)
    due_at = models.DateTimeField(_("answer expected by"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("answer"), max_length=4000, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # The body closed its part (fixed, or not theirs after all).
    resolved = models.BooleanField(default=False)
    # When the e-mail with the signed link left (once).
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("forwarding")
        verbose_name_plural = _("forwardings")
        ordering = ["-created_at"]
        indexes = [
            # Late answers per body (statistics, escalation): open forwardings by deadline.
            models.Index(
                fields=["body", "due_at"],
                name="forwarding_waiting",
                condition=models.Q(answered_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.issue_id} → {self.body}"

    @property
    def late(self) -> bool:
        """Whether the body answered after its deadline, or has not answered and it passed."""
        return (self.answered_at or timezone.now()) > self.due_at


class AssignmentRule(models.Model):
    """Which department takes new issues of a category (or group) in an area.

    The most specific matching rule wins: a category beats its group, a rule with an area
    beats one without; `order` breaks ties. With no rule, the category's department.
    """

    category = models.ForeignKey(
        "reports.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("category"),
    )
    group = models.ForeignKey(
        "reports.CategoryGroup",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("category group"),
    )
    area = models.ForeignKey(
        "geo.Area",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("area"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="+", verbose_name=_("department")
    )
    operator_group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("operator group"),
        help_text=_("The group of operators whose queue shows these issues first."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        what = self.category or self.group or "*"
        return f"{what} @ {self.area or '*'} → {self.department}"

    def clean(self) -> None:
        if self.category_id is None and self.group_id is None and self.area_id is None:
            raise ValidationError(_("A rule needs a category, a group or an area."))


class Draft(models.Model):
    """A message that is not a report yet (e-mail, PEC): an operator completes it into one.

    The sender's contact is personal data: only staff with the contacts right see it.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        PEC = "pec", _("PEC")
        PHONE = "phone", _("phone")
        COUNTER = "counter", _("counter")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"), max_length=20000, blank=True)
    sender_name = models.CharField(_("name"), max_length=200, blank=True)
    sender_email = models.EmailField(_("e-mail"), blank=True)
    sender_phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The mailbox's Message-ID: the same message is never turned into two drafts.
    message_id = models.CharField(max_length=300, null=True, blank=True, unique=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    report = models.OneToOneField(
        "reports.Report",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="draft",
        verbose_name=_("report"),
    )
    discarded = models.BooleanField(_("discarded"), default=False)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        ordering = ["received_at"]

    def __str__(self) -> str:
        return self.subject or f"draft {self.pk}"


def attachment_path(instance: "DraftAttachment", filename: str) -> str:
    return f"drafts/{secrets.token_hex(2)}/{secrets.token_hex(12)}"


def private_storage() -> Storage:
    """The storage only staff reach, through views that check who asks (settings.STORAGES)."""
    return storages["private"]


class DraftAttachment(models.Model):
    """A file that came with a draft (a photo, usually): checked when the draft is completed.

    The bytes are the sender's, metadata included: private storage, deleted with the draft's
    life (filed, set aside, erased: inbox.actions.drop_attachments).
    """

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, storage=private_storage)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size_bytes = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.filename or str(self.file)


class ResponseTemplate(models.Model):
    """A ready reply for staff, per category and status: a title and a text per language."""

    # Keyed by the codes of settings.LANGUAGES ({"it": ..., "en": ...}); the default
    # language's is required (the admin's form), the others fall back to it.
    titles = models.JSONField(_("titles"), default=dict)
    texts = models.JSONField(_("texts"), default=dict)
    category = models.ForeignKey(
        "reports.Category",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("category"),
        help_text=_("Leave empty for every category."),
    )
    status = models.CharField(
        _("for the status"),
        max_length=20,
        blank=True,
        choices=Status.choices,
        help_text=_("The status the reply goes with (e.g. closed); empty for any."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("response template")
        verbose_name_plural = _("response templates")
        ordering = ["id"]  # staff see them by title in their own language (backoffice.replies)

    def __str__(self) -> str:
        return self.title_in(get_language() or settings.LANGUAGE_CODE)

    def title_in(self, language: str) -> str:
        """The title in `language`, else in the default language (else any there is)."""
        return _in_language(self.titles, language)

    def text_in(self, language: str) -> str:
        """The text in `language`, else in the default language (else any there is)."""
        return _in_language(self.texts, language)


def _in_language(values: object, language: str) -> str:
    if not isinstance(values, dict):
        return ""
    for code in (language, settings.LANGUAGE_CODE, *values):
        value = values.get(code)
        if isinstance(value, str) and value:
            return value
    return ""


class PhotoOriginal(models.Model):
    """The unredacted original of a moderated photo, in the private storage (staff only)."""

    photo = models.OneToOneField("reports.Photo", on_delete=models.CASCADE, related_name="original")
    name = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class HiddenPhoto(models.Model):
    """The files of a photo hidden by moderation, moved to the private storage (staff only).

    While this row exists the photo's own image and thumbnail names point to nothing: its
    files are these (backoffice.hidden_photos moves them out and back).
    """

    photo = models.OneToOneField(
        "reports.Photo", on_delete=models.CASCADE, related_name="hidden_files"
    )
    image_name = models.CharField(max_length=300)
    thumbnail_name = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.image_name
