"""Route planning API (staff): plan a department's day, read it, export a route as GPX."""

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.permissions import StaffVerb, department_for
from backoffice.roles import Verb
from geo.models import Department
from routing.gpx import route_gpx
from routing.models import CrewRoute, RoutePlan
from routing.planning import PlanningRefused, current_plan, plan_day
from routing.querysets import visible_routes


class PlanRequestSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Default: today.")
    objective = serializers.ChoiceField(choices=["urgency", "distance"], default="urgency")
    time_limit_s = serializers.FloatField(min_value=0.2, max_value=30.0, default=5.0)


class RouteStopSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    issue = serializers.IntegerField(source="issue_id")
    category = serializers.CharField(source="issue.category.code")
    address = serializers.CharField(source="issue.address")
    lat = serializers.FloatField(source="issue.location.y")
    lon = serializers.FloatField(source="issue.location.x")
    priority = serializers.FloatField(source="issue.priority")
    emergency = serializers.BooleanField(source="issue.emergency")
    arrives_at = serializers.DateTimeField()
    departs_at = serializers.DateTimeField()
    late_s = serializers.IntegerField()
    state = serializers.CharField()


class CrewRouteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    crew = serializers.CharField(source="crew.name")
    depot = serializers.SerializerMethodField()
    distance_m = serializers.IntegerField()
    duration_s = serializers.IntegerField()
    ends_at = serializers.DateTimeField()
    line = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    stops = RouteStopSerializer(many=True)

    def get_depot(self, route: CrewRoute) -> dict[str, Any]:
        depot = route.crew.depot
        return {"name": depot.name, "lat": depot.location.y, "lon": depot.location.x}


class LeftOutSerializer(serializers.Serializer):
    issue = serializers.IntegerField(source="issue_id")
    reason = serializers.CharField()


class RoutePlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    department = serializers.CharField(source="department.code")
    date = serializers.DateField()
    objective = serializers.CharField()
    solver = serializers.CharField()
    solve_s = serializers.FloatField()
    weighted_lateness = serializers.FloatField()
    network = serializers.CharField()
    notes = serializers.ListField(child=serializers.CharField())
    routes = CrewRouteSerializer(many=True)
    left_out = LeftOutSerializer(many=True)


def plan_payload(plan: RoutePlan) -> dict[str, Any]:
    plan = (
        RoutePlan.objects.select_related("department")
        .prefetch_related(
            "routes__crew__depot",
            "routes__stops__issue__category",
            "left_out",
        )
        .get(pk=plan.pk)
    )
    return RoutePlanSerializer(plan).data


class DepartmentRoutePlanView(APIView):
    # Operators, administrators, and the department's own coordinator.
    permission_classes = [StaffVerb]
    staff_verb = Verb.ACT

    @extend_schema(
        request=PlanRequestSerializer,
        responses={201: RoutePlanSerializer},
        summary="Plan a department's crew routes for a day (staff)",
    )
    def post(self, request: Request, pk: int) -> Response:
        department = get_object_or_404(Department, pk=pk)
        department_for(request, Verb.ACT, department.pk)
        body = PlanRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            plan = plan_day(
                department,
                body.validated_data.get("date"),
                objective=body.validated_data["objective"],
                time_limit_s=body.validated_data["time_limit_s"],
            )
        except PlanningRefused as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(plan_payload(plan), status=status.HTTP_201_CREATED)


class DepartmentRoutesView(APIView):
    # Whoever sees the whole department: operators, managers, its coordinator, administrators.
    permission_classes = [StaffVerb]
    staff_verb = Verb.VIEW

    @extend_schema(
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Default: today.")],
        responses={200: RoutePlanSerializer},
        summary="The crew routes in force for a department and day (staff)",
    )
    def get(self, request: Request, pk: int) -> Response:
        department = get_object_or_404(Department, pk=pk)
        department_for(request, Verb.VIEW, department.pk)
        day = timezone.localdate()
        if "date" in request.query_params:
            try:
                day = dt.date.fromisoformat(request.query_params["date"])
            except ValueError:
                raise ValidationError({"date": [_("Give the date as YYYY-MM-DD.")]}) from None
        plan = current_plan(department, day)
        if plan is None:
            return Response({"detail": _("No plan for this day.")}, status=404)
        return Response(plan_payload(plan))


class RouteGpxView(APIView):
    # Staff, and the members of the route's crew (others get 404: not even its existence).
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/gpx+xml"): OpenApiTypes.STR}, summary="GPX")
    def get(self, request: Request, pk: int) -> HttpResponse:
        route = get_object_or_404(
            visible_routes(request.user).select_related("plan", "crew"), pk=pk
        )
        response = HttpResponse(route_gpx(route), content_type="application/gpx+xml")
        response["Content-Disposition"] = f'attachment; filename="route-{route.pk}.gpx"'
        return response
