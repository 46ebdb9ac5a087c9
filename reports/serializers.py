"""API serializers. Public ones read only public columns: never Reporter, never photo_location."""

import json
import math
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo.querysets import inside_municipality, place_at
from geo.units import make_point
from reports import catalogue
from reports.actions import Contact, NewReport
from reports.answers import AnswersInvalid, validate_answers
from reports.catalogue import Offer
from reports.models import Category, Channel, Issue, Photo, Question, Report, TimelineEntry
from reports.photos import PhotoError, ProcessedPhoto, process_upload
from reports.public_answers import PublishedQuestions

PRIORITY_FACTOR_LABELS = {
    "severity": lambda: _("category severity"),
    "urgency": lambda: _("urgency given by citizens"),
    "emergency": lambda: _("someone hurt or in immediate danger"),
    "crowd": lambda: _("people who reported it"),
    "deadline": lambda: _("time used of the service level"),
}


# DRF's own texts: "Must be a valid boolean." has no Italian, and "This value does not match the
# required pattern." does not say what a phone number may hold.
YES_OR_NO = {
    "invalid": gettext_lazy("Enter true or false."),
    "null": gettext_lazy("Enter true or false."),
}
PHONE_CHARACTERS = {
    "invalid": gettext_lazy(
        "Enter a phone number: digits, spaces and + ( ) . / - only, 5 to 30 characters."
    )
}
URGENCY_1_TO_5 = {
    key: gettext_lazy("Give the urgency as a whole number from 1 to 5.")
    for key in ("invalid", "max_value", "min_value", "max_string_length", "null")
}


class FiniteFloatField(serializers.FloatField):
    """A float that refuses NaN and infinities (float('nan') passes min/max checks)."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


def not_handled(category: Category) -> str:
    """Tell the citizen that the municipality does not handle `category`, and where to go."""
    return _("The municipality does not handle this: %(where)s") % {
        "where": category.redirect_instructions or category.redirect_body or "-"
    }


class ReportSubmissionSerializer(serializers.Serializer):
    """A citizen's new report, as multipart form data (or JSON without photos)."""

    lat = FiniteFloatField(min_value=-90, max_value=90, help_text="Latitude, WGS84 degrees.")
    lon = FiniteFloatField(min_value=-180, max_value=180, help_text="Longitude, WGS84 degrees.")
    accuracy_m = FiniteFloatField(
        min_value=0,
        max_value=100_000,
        required=False,
        allow_null=True,
        default=None,
        help_text="How many metres the phone's GPS vouches for (Geolocation coords.accuracy); "
        "leave out when the place was picked on a map.",
    )
    category = serializers.CharField(max_length=60, help_text="Category code.")
    description = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, default=""
    )
    answers = serializers.JSONField(
        required=False,
        default=dict,
        help_text="Answers to the category's questions: a JSON object keyed by question code; "
        "a list of keys for multiple choice.",
    )
    urgency = serializers.IntegerField(
        min_value=1, max_value=5, default=3, error_messages=URGENCY_1_TO_5
    )
    emergency = serializers.BooleanField(
        default=False,
        help_text="Someone is hurt or in immediate danger.",
        error_messages=YES_OR_NO,
    )
    photo = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        required=False,
        default=list,
        max_length=settings.PHOTOS_PER_REPORT,
        help_text="Up to 5 photos: JPEG, PNG, WebP or HEIC.",
    )
    channel = serializers.ChoiceField(
        choices=[Channel.WEB, Channel.API],
        default=Channel.API,
        help_text="'web' for Segnala's own citizen page, 'api' for other clients.",
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    phone = serializers.RegexField(
        r"^\+?[0-9 ./()-]{5,30}$",
        required=False,
        allow_blank=True,
        default="",
        error_messages=PHONE_CHARACTERS,
    )

    # Staff taking a report on the phone complete the required answers later.
    answers_required = True

    def validate_category(self, code: str) -> Offer:
        found = catalogue.offer(code)
        if found is None:
            raise serializers.ValidationError(_("Unknown or inactive category."))
        return found

    def validate_answers(self, value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise serializers.ValidationError(_("Answers must be a JSON object.")) from None
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Answers must be a JSON object."))
        return value

    def validate_photo(self, files: list[Any]) -> list[ProcessedPhoto]:
        processed = []
        for number, upload in enumerate(files, start=1):
            if upload.size > settings.PHOTO_MAX_BYTES:
                raise serializers.ValidationError(
                    _("Photo %(n)d is larger than %(mb)d MB.")
                    % {"n": number, "mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)}
                )
            try:
                processed.append(process_upload(upload.read()))
            except PhotoError as exc:
                raise serializers.ValidationError(
                    _("Photo %(n)d: %(error)s") % {"n": number, "error": exc}
                ) from None
        return processed

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        inside, area = place_at(make_point(attrs["lat"], attrs["lon"]))
        if not inside:
            raise serializers.ValidationError(
                {"location": _("This place is outside the municipality's territory.")}
            )
        offer: Offer = attrs["category"]
        category = offer.category
        if not category.handled_by_municipality:
            raise serializers.ValidationError({"category": not_handled(category)})
        attrs["area"] = area  # handed to submit_report, which needs it too
        if not offer.offered_in(area.pk if area else None):
            raise serializers.ValidationError(
                {"category": _("This category is not offered at this place.")}
            )
        specs = list(offer.questions)
        if not self.answers_required:
            specs = [replace(spec, required=False) for spec in specs]
        try:
            attrs["answers"] = validate_answers(specs, attrs["answers"])
        except AnswersInvalid as exc:
            raise serializers.ValidationError({"answers": exc.errors}) from None
        return attrs

    def to_new_report(self, *, language: str, user: Any) -> NewReport:
        data = self.validated_data
        return NewReport(
            lat=data["lat"],
            lon=data["lon"],
            accuracy_m=data["accuracy_m"],
            category=data["category"].category,
            description=data["description"].strip(),
            answers=data["answers"],
            urgency=data["urgency"],
            emergency=data["emergency"],
            channel=data["channel"],
            contact=Contact(
                name=data["name"].strip(), email=data["email"].strip(), phone=data["phone"].strip()
            ),
            language=language,
            photos=data["photo"],
            user=user,
            area=data["area"],
        )


class SubmissionResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    issue = serializers.IntegerField()
    status = serializers.CharField()
    report_count = serializers.IntegerField()
    joined = serializers.BooleanField(help_text="The report joined an issue already open.")
    tracking_url = serializers.CharField()
    emergency_number = serializers.CharField(allow_null=True)


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Photo
        fields = ["url", "thumbnail_url", "width", "height"]

    def get_url(self, photo: Photo) -> str:
        return photo.image.url

    def get_thumbnail_url(self, photo: Photo) -> str | None:
        return photo.thumbnail.url if photo.thumbnail else None


class LocationSerializer(serializers.Serializer):
    lat = serializers.FloatField(source="y")
    lon = serializers.FloatField(source="x")


class PublicReportSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    description = serializers.SerializerMethodField()
    # Choices, numbers and dates only: a free-text answer (a plate) is for staff.
    answers = serializers.SerializerMethodField()
    location = LocationSerializer()
    photos = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "issue",
            "category",
            "description",
            "answers",
            "urgency",
            "emergency",
            "channel",
            "address",
            "location",
            "photos",
            "created_at",
        ]

    def get_description(self, report: Report) -> str:
        return "" if report.hidden else report.description

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_answers(self, report: Report) -> dict[str, Any]:
        if report.hidden:
            return {}
        # One query per category for every report serialised in this response.
        published = self.context.setdefault("published_questions", PublishedQuestions())
        return published.answers(report.category_id, report.answers)

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, report: Report) -> list[dict[str, Any]]:
        if report.hidden:
            return []
        return PhotoSerializer(report.photos.all(), many=True).data


class TimelineEntrySerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_kind_display")
    status_label = serializers.CharField(source="get_status_display")
    close_reason_label = serializers.CharField(source="get_close_reason_display")
    # In the request's language when Segnala wrote it (reports.texts), as typed otherwise.
    text = serializers.CharField(source="shown_text", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = [
            "kind",
            "label",
            "status",
            "status_label",
            "close_reason",
            "close_reason_label",
            "text",
            "created_at",
        ]


class PriorityTermSerializer(serializers.Serializer):
    factor = serializers.CharField()
    label = serializers.CharField()
    points = serializers.FloatField()
    value = serializers.FloatField()


class PublicIssueSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")
    group = serializers.CharField(source="category.group.code")
    status = serializers.CharField(source="public_status")
    close_reason_label = serializers.CharField(source="get_close_reason_display")
    location = LocationSerializer()
    priority_explained = serializers.SerializerMethodField()
    reports = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = Issue
        fields = [
            "id",
            "category",
            "category_name",
            "group",
            "status",
            "close_reason",
            "close_reason_label",
            "emergency",
            "address",
            "location",
            "report_count",
            "supporter_count",
            "priority",
            "priority_explained",
            "first_reported_at",
            "last_reported_at",
            "due_at",
            "closed_at",
            "reports",
            "timeline",
        ]

    @extend_schema_field(PriorityTermSerializer(many=True))
    def get_priority_explained(self, issue: Issue) -> list[dict[str, Any]]:
        terms = issue.priority_explained.get("terms", [])
        return [
            {**term, "label": PRIORITY_FACTOR_LABELS.get(term["factor"], lambda: "")()}
            for term in terms
        ]

    @extend_schema_field(PublicReportSerializer(many=True))
    def get_reports(self, issue: Issue) -> list[dict[str, Any]]:
        reports = [r for r in issue.reports.all() if not r.hidden]
        return PublicReportSerializer(reports, many=True, context=self.context).data

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, issue: Issue) -> list[dict[str, Any]]:
        entries = [e for e in issue.timeline.all() if e.public]
        return TimelineEntrySerializer(entries, many=True).data


class IssueFeatureSerializer(GeoFeatureModelSerializer):
    """An issue on the map: public summary only."""

    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")
    group = serializers.CharField(source="category.group.code")
    status = serializers.CharField(source="public_status")

    class Meta:
        model = Issue
        geo_field = "location"
        fields = [
            "id",
            "category",
            "category_name",
            "group",
            "status",
            "close_reason",
            "address",
            "report_count",
            "supporter_count",
            "priority",
            "first_reported_at",
            "last_reported_at",
        ]


class QuestionSerializer(serializers.ModelSerializer):
    label = serializers.CharField()
    choices = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["code", "label", "kind", "required", "choices"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_choices(self, question: Question) -> list[dict[str, str]]:
        return [{"key": key, "label": label} for key, label in question.choice_labels()]


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField()
    description = serializers.CharField()
    group = serializers.CharField(source="group.code")
    group_name = serializers.CharField(source="group.name")
    color = serializers.CharField(source="group.color")
    questions = QuestionSerializer(many=True)
    redirect = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "description",
            "group",
            "group_name",
            "color",
            "handled_by_municipality",
            "redirect",
            "questions",
        ]

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_redirect(self, category: Category) -> dict[str, str] | None:
        if category.handled_by_municipality:
            return None
        body = category.redirect_body
        return {
            "instructions": category.redirect_instructions,
            "body": body.name if body else "",
            "phone": body.phone if body else "",
            "website": body.website if body else "",
        }


class PlaceQuerySerializer(serializers.Serializer):
    """A point of the territory given as ?lat=&lon= (WGS84 degrees); 400 outside it."""

    lat = FiniteFloatField(min_value=-90, max_value=90)
    lon = FiniteFloatField(min_value=-180, max_value=180)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not inside_municipality(make_point(attrs["lat"], attrs["lon"])):
            raise serializers.ValidationError(
                {"location": _("This place is outside the municipality's territory.")}
            )
        return attrs


class NearbyQuerySerializer(PlaceQuerySerializer):
    category = serializers.CharField(max_length=60)

    def validate_category(self, code: str) -> Category:
        found = catalogue.offer(code)
        if found is None:
            raise serializers.ValidationError(_("Unknown or inactive category."))
        return found.category


# A street, a number and perhaps a district: longer than any real address, short enough that
# nobody sends a paragraph to the geocoder.
ADDRESS_QUERY_MAX_CHARS = 200


class AddressQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=ADDRESS_QUERY_MAX_CHARS,
        help_text="A street and number typed by a person, such as 'Via Roma 12'.",
        error_messages={
            "required": gettext_lazy("Type a street and number."),
            "blank": gettext_lazy("Type a street and number."),
            "max_length": gettext_lazy("Type at most {max_length} characters."),
        },
    )


class AddressSerializer(serializers.Serializer):
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    address = serializers.CharField(help_text="The street at that point; empty when none is known.")


class NearbyIssueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField()
    category_name = serializers.CharField()
    status = serializers.CharField()
    address = serializers.CharField()
    distance_m = serializers.FloatField()
    report_count = serializers.IntegerField()
    supporter_count = serializers.IntegerField()
    people = serializers.IntegerField(help_text="Distinct people who reported or supported it.")
    first_reported_at = serializers.DateTimeField()
    thumbnail_url = serializers.CharField(allow_null=True)
    description = serializers.CharField()
    language = serializers.CharField(
        help_text="Language code of the description (its HTML lang), as the citizen wrote it."
    )
    url = serializers.CharField()


class NearbyResultSerializer(serializers.Serializer):
    results = NearbyIssueSerializer(many=True)


class SupportSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class SupportResultSerializer(serializers.Serializer):
    issue = serializers.IntegerField()
    supporter_count = serializers.IntegerField()
    people = serializers.IntegerField()
    subscribed = serializers.BooleanField()
    confirmation_sent = serializers.BooleanField(
        help_text="A link to confirm the e-mail was sent: updates start once it is followed."
    )
    tracking_url = serializers.CharField()


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(help_text="The issue that receives this issue's reports.")


class SplitSerializer(serializers.Serializer):
    reports = serializers.ListField(
        child=serializers.IntegerField(),
        min_length=1,
        max_length=1000,
        error_messages={
            "min_length": gettext_lazy("Choose the reports that are about another problem."),
        },
        help_text="Ids of this issue's reports that are another problem.",
    )


class ClusteringResultSerializer(serializers.Serializer):
    issue = serializers.IntegerField()
    report_count = serializers.IntegerField()
