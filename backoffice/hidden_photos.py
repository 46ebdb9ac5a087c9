"""Photos hidden by moderation leave the public storage, and come back when shown again.

A photo is out of public view while its report or its issue is hidden. Its files then live in
the private storage (a HiddenPhoto row names them; staff see them through
moderation.hidden_photo), so that nobody keeps loading them from a public address or from the
open data.

Each move writes copies under fresh names, under the photo rows' lock, and deletes the copies
it replaced only once its transaction commits: a hide and a show racing each other never
delete the files the other one wrote.
"""

from collections.abc import Callable

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse

from backoffice.models import HiddenPhoto
from reports.models import Photo

Written = list[tuple[Storage, str]]


def sync_photo_files(photos: QuerySet[Photo]) -> int:
    """Move each photo's files to the storage its visibility asks for; return how many moved.

    Call it in the transaction that hid or showed the report or issue, after that change and
    last (a failure here deletes what it wrote and rolls the change back). The copies moved
    away are deleted once the transaction commits.
    """
    private = storages["private"]
    written: Written = []
    replaced: Written = []
    moved = 0
    try:
        with transaction.atomic():
            ids = list(
                photos.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True)
            )
            # Read after the lock: a hide or show that committed meanwhile is seen.
            rows = Photo.objects.filter(pk__in=ids).select_related("report__issue")
            hidden = {h.photo_id: h for h in HiddenPhoto.objects.filter(photo_id__in=ids)}
            for photo in rows:
                out_of_view = photo.report.hidden or photo.report.issue.hidden
                files = hidden.get(photo.pk)
                if out_of_view and files is None:
                    _hide(photo, private, written, replaced)
                elif not out_of_view and files is not None:
                    _show(photo, files, private, written, replaced)
                else:
                    continue
                moved += 1
    except BaseException:
        _deleter(written)()
        raise
    transaction.on_commit(_deleter(replaced), robust=True)
    return moved


def _hide(photo: Photo, private: Storage, written: Written, replaced: Written) -> None:
    image = _copy(photo.image.storage, str(photo.image.name), private, f"hidden/{photo.pk}.jpg")
    written.append((private, image))
    replaced.append((photo.image.storage, str(photo.image.name)))
    thumbnail = ""
    if photo.thumbnail:
        name = str(photo.thumbnail.name)
        thumbnail = _copy(photo.thumbnail.storage, name, private, f"hidden/{photo.pk}-thumb.jpg")
        written.append((private, thumbnail))
        replaced.append((photo.thumbnail.storage, name))
    HiddenPhoto.objects.create(photo=photo, image_name=image, thumbnail_name=thumbnail)


def _show(
    photo: Photo, files: HiddenPhoto, private: Storage, written: Written, replaced: Written
) -> None:
    if files.image_name:
        with private.open(files.image_name, "rb") as stored:
            photo.image.save("photo.jpg", ContentFile(stored.read()), save=False)
        written.append((photo.image.storage, str(photo.image.name)))
        replaced.append((private, files.image_name))
    if files.thumbnail_name:
        with private.open(files.thumbnail_name, "rb") as stored:
            photo.thumbnail.save("thumb.jpg", ContentFile(stored.read()), save=False)
        written.append((photo.thumbnail.storage, str(photo.thumbnail.name)))
        replaced.append((private, files.thumbnail_name))
    photo.save(update_fields=["image", "thumbnail"])
    files.delete()


def _copy(source: Storage, name: str, target: Storage, new_name: str) -> str:
    """Copy a file to the other storage; return its name there ("" if it was missing)."""
    if not source.exists(name):
        return ""  # a file lost before: the photo is hidden all the same
    with source.open(name, "rb") as stored:
        return target.save(new_name, ContentFile(stored.read()))


def _deleter(files: Written) -> Callable[[], None]:
    def delete() -> None:
        for storage, name in files:
            if name:
                storage.delete(name)

    return delete


def staff_urls(photo: Photo) -> tuple[str, str]:
    """The addresses staff open a photo and its thumbnail at, hidden or not."""
    files = getattr(photo, "hidden_files", None)
    if files is None:
        image = photo.image.url
        return image, photo.thumbnail.url if photo.thumbnail else image
    image = reverse("office-hidden-photo", args=[photo.pk, "image"])
    if not files.thumbnail_name:
        return image, image
    return image, reverse("office-hidden-photo", args=[photo.pk, "thumbnail"])
