"""Moderation: take personal data out of what the public sees.

Edit a report's description, hide a report, black out regions of a photo (faces, number
plates). The redacted photo replaces the public one; its original is kept in the private
storage, for staff only, when MODERATION_KEEP_ORIGINALS allows it. Every change is in the
audit log; the old text too, under the same policy (as for the contact details hidden
automatically at submission: privacy.descriptions).
"""

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from PIL import Image, ImageDraw

from backoffice import roles
from backoffice.audit import record
from backoffice.hidden_photos import sync_photo_files
from backoffice.models import HiddenPhoto, PhotoOriginal
from backoffice.roles import Verb
from backoffice.views import staff_required
from config.actors import Actor
from insights.tasks import republish_soon
from privacy.descriptions import original_for_staff
from reports.models import Photo, Report
from reports.photos import make_thumbnail
from reports.workflow import TransitionRefused

# A hidden photo is out of public view already, and its files are in the private storage.
HIDDEN_NOT_REDACTED = gettext_lazy(
    "This photo is hidden from the public: show its report or issue again to redact it."
)


@dataclass(frozen=True)
class Box:
    """A region of a photo in fractions of its width and height (0 = left/top, 1 = right/bottom)."""

    left: float
    top: float
    right: float
    bottom: float

    def __post_init__(self) -> None:
        inside = 0 <= self.left < self.right <= 1 and 0 <= self.top < self.bottom <= 1
        if not inside:
            raise ValueError("box outside the photo")


def black_out(content: bytes, boxes: Sequence[Box]) -> bytes:
    """Return the JPEG with each box filled in black, re-encoded with no metadata."""
    with Image.open(io.BytesIO(content), formats=["JPEG"]) as img:
        clean = img.convert("RGB")
    draw = ImageDraw.Draw(clean)
    for box in boxes:
        draw.rectangle(
            (
                int(box.left * clean.width),
                int(box.top * clean.height),
                int(box.right * clean.width) - 1,
                int(box.bottom * clean.height) - 1,
            ),
            fill="black",
        )
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def redact_photo(photo_id: int, *, actor: Actor, boxes: Sequence[Box]) -> Photo:
    """Black out regions of a report's photo, for the public; keep the original per policy."""
    if not boxes:
        raise TransitionRefused(_("Draw at least one region to black out."))
    private = storages["private"]
    written: list[tuple[object, str]] = []
    try:
        with transaction.atomic():
            photo = Photo.objects.select_for_update().get(pk=photo_id)
            if HiddenPhoto.objects.filter(photo=photo).exists():
                raise TransitionRefused(str(HIDDEN_NOT_REDACTED))
            with photo.image.open("rb") as stored:
                content = stored.read()
            redacted = black_out(content, boxes)
            old_image, old_thumbnail = str(photo.image.name), str(photo.thumbnail.name)
            if (
                settings.MODERATION_KEEP_ORIGINALS
                and not PhotoOriginal.objects.filter(photo=photo).exists()
            ):
                name = private.save(f"originals/{photo.pk}.jpg", ContentFile(content))
                written.append((private, name))
                PhotoOriginal.objects.create(photo=photo, name=name)
            photo.image.save("photo.jpg", ContentFile(redacted), save=False)
            written.append((photo.image.storage, str(photo.image.name)))
            thumbnail = make_thumbnail(redacted, side_px=settings.PHOTO_THUMBNAIL_PX)
            photo.thumbnail.save("thumb.jpg", ContentFile(thumbnail), save=False)
            written.append((photo.thumbnail.storage, str(photo.thumbnail.name)))
            photo.sha256 = hashlib.sha256(redacted).hexdigest()
            photo.size_bytes = len(redacted)
            photo.save(update_fields=["image", "thumbnail", "sha256", "size_bytes"])
            record(
                actor,
                "photo.redact",
                photo,
                after={"boxes": len(boxes), "report": photo.report_id},
            )
    except BaseException:
        for storage, name in written:
            storage.delete(name)  # type: ignore[attr-defined]
        raise
    # The public files of the unredacted photo go once the redacted ones are committed.
    photo.image.storage.delete(old_image)
    if old_thumbnail:
        photo.thumbnail.storage.delete(old_thumbnail)
    return photo


def edit_description(report_id: int, *, actor: Actor, text: str) -> None:
    """Replace a report's description (personal data taken out); the old one per policy."""
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        before = report.description
        Report.objects.filter(pk=report.pk).update(description=text)
        kept = original_for_staff(before)
        record(actor, "report.edit_description", report, before={"description": kept})


def set_report_hidden(report_id: int, *, actor: Actor, hidden: bool) -> None:
    """Hide one report (its description and photos) from the public, or show it again.

    Its photos' files leave the public storage (or come back), and the open data, which
    lists them, is published again shortly after.
    """
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        Report.objects.filter(pk=report.pk).update(hidden=hidden)
        record(actor, "report.hide" if hidden else "report.show", report)
        republish_soon()
        sync_photo_files(Photo.objects.filter(report_id=report.pk))


# ---- Views (staff with the moderation right, on issues in their scope).


def _report_in_scope(request: HttpRequest, report_id: int) -> Report:
    report = get_object_or_404(Report.objects.select_related("issue"), pk=report_id)
    if not roles.visible_issues(request.user).filter(pk=report.issue_id).exists():
        raise Http404("No such report.")
    if not roles.allowed(request.user, Verb.MODERATE, report.issue):
        raise PermissionDenied
    return report


@staff_required(Verb.MODERATE)
@require_POST
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponseRedirect:
    """Edit a report's description, or hide / show it, from the back office's issue page."""
    report = _report_in_scope(request, pk)
    if action == "description":
        text = request.POST.get("description", "").strip()
        if len(text) > 4000:
            messages.error(request, _("The description is too long: at most 4000 characters."))
        else:
            edit_description(report.pk, actor=request.user, text=text)
            messages.success(request, _("Description changed."))
    elif action in ("hide", "show"):
        set_report_hidden(report.pk, actor=request.user, hidden=action == "hide")
        messages.success(request, _("Done."))
    else:
        raise Http404("No such action.")
    return redirect("office-issue", pk=report.issue_id)


@staff_required(Verb.MODERATE)
def redact_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw the regions to black out on a photo (or give them as percentages)."""
    photo = get_object_or_404(Photo, pk=pk)
    report = _report_in_scope(request, photo.report_id)
    if HiddenPhoto.objects.filter(photo=photo).exists():
        messages.error(request, str(HIDDEN_NOT_REDACTED))
        return redirect("office-issue", pk=report.issue_id)
    if request.method == "POST":
        try:
            boxes = _boxes(request.POST.getlist("box"))
            redact_photo(photo.pk, actor=request.user, boxes=boxes)
        except (ValueError, TransitionRefused) as exc:
            messages.error(
                request,
                str(exc)
                if isinstance(exc, TransitionRefused)
                else _("Give each region as left,top,right,bottom percentages (0-100)."),
            )
        else:
            messages.success(request, _("The photo was redacted."))
            return redirect("office-issue", pk=report.issue_id)
    return render(request, "backoffice/redact.html", {"photo": photo, "report": report})


@staff_required(Verb.MODERATE)
def original_photo(request: HttpRequest, pk: int) -> FileResponse:
    """The unredacted original of a photo, for staff who moderate its issue."""
    original = get_object_or_404(PhotoOriginal.objects.select_related("photo"), photo_id=pk)
    _report_in_scope(request, original.photo.report_id)
    response = FileResponse(
        storages["private"].open(original.name, "rb"), content_type="image/jpeg"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required(Verb.VIEW)
def hidden_photo(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """A photo hidden by moderation (or its thumbnail), for staff who may see its issue."""
    files = get_object_or_404(HiddenPhoto.objects.select_related("photo__report"), photo_id=pk)
    # staff_required checked the role; the issue's scope is left.
    if not roles.visible_issues(request.user).filter(pk=files.photo.report.issue_id).exists():
        raise Http404("No such photo.")
    name = {"image": files.image_name, "thumbnail": files.thumbnail_name}.get(kind)
    if not name:
        raise Http404("No such file.")
    response = FileResponse(storages["private"].open(name, "rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def _boxes(raw: list[str]) -> list[Box]:
    """Parse "left,top,right,bottom" percentages, one region per value."""
    boxes = []
    for value in raw:
        if not value.strip():
            continue
        parts = [float(part) / 100 for part in value.split(",")]
        if len(parts) != 4:
            raise ValueError("four numbers per region")
        boxes.append(Box(*parts))
    return boxes
