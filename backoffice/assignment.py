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


def pick(rules: Iterable[Rule], category_id: int, group_id: int, area_id: int | None) -> int | None:
    """Return the department of the most specific rule matching, or None.

    A rule matches when each of its set fields equals the issue's. Specificity: category
    (2) beats group (1); an area adds 1 on top and breaks the tie between equals; then order.
    """
    best: tuple[int, int, int] | None = None
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
        if best is None or rank > best:
            best, chosen = rank, rule.department_id
    return chosen


def choose_department(category: Category, area: Area | None) -> Department | None:
    """Return the department for a new issue of `category` in `area` (rules, then default)."""
    rules = [
        Rule(r.department_id, r.category_id, r.group_id, r.area_id, r.order)
        for r in AssignmentRule.objects.filter(_matching(category, area)).only(
            "department_id", "category_id", "group_id", "area_id", "order"
        )
    ]
    department_id = pick(rules, category.pk, category.group_id, area.pk if area else None)
    if department_id is None:
        return category.department
    return Department.objects.get(pk=department_id)


def _matching(category: Category, area: Area | None) -> Q:
    return (
        (Q(category__isnull=True) | Q(category=category))
        & (Q(group__isnull=True) | Q(group_id=category.group_id))
        & (Q(area__isnull=True) | Q(area=area))
    )
