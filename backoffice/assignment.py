"""Automatic assignment: the department that takes a new issue, from category and area."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from backoffice.models import AssignmentRule
from geo.models import Area, Department
from reports.models import Category


@dataclass(frozen=True)
class Rule:
    department_id: int
    category_id: int | None
    group_id: int | None
    area_id: int | None
    order: int
    operator_group_id: int | None = None


@dataclass(frozen=True)
class Assignment:
    department: Department | None
    operator_group_id: int | None


def best(
    rules: Iterable[Rule], category_id: int, group_id: int, area_id: int | None
) -> Rule | None:
    """Return the most specific rule matching, or None.

    A rule matches when each of its set fields equals the issue's. Specificity: category
    (2) beats group (1); an area adds 1 on top and breaks the tie between equals; then order.
    """
    top: tuple[int, int, int] | None = None
    chosen = None
    for rule in rules:
        if rule.category_id is not None and rule.category_id != category_id:
            continue
        if rule.group_id is not None and rule.group_id != group_id:
            continue
        if rule.area_id is not None and rule.area_id != area_id:
            continue
        rank = (
            2 * (rule.category_id is not None) + (rule.group_id is not None),
            rule.area_id is not None,
            -rule.order,
        )
        if top is None or rank > top:
            top, chosen = rank, rule
    return chosen


def choose_assignment(category: Category, area: Area | None) -> Assignment:
    """Return the department and operator group for a new issue of `category` in `area`.

    The most specific rule decides; with no rule, the category's department and no group.
    """
    rules = [
        Rule(r.department_id, r.category_id, r.group_id, r.area_id, r.order, r.operator_group_id)
        for r in AssignmentRule.objects.filter(_matching(category, area)).only(
            "department_id", "category_id", "group_id", "area_id", "order", "operator_group_id"
        )
    ]
    rule = best(rules, category.pk, category.group_id, area.pk if area else None)
    if rule is None:
        return Assignment(category.department, None)
    return Assignment(Department.objects.get(pk=rule.department_id), rule.operator_group_id)


def _matching(category: Category, area: Area | None) -> Q:
    return (
        (Q(category__isnull=True) | Q(category=category))
        & (Q(group__isnull=True) | Q(group_id=category.group_id))
        & (Q(area__isnull=True) | Q(area=area))
    )
