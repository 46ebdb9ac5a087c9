"""config/lookups.py: `field__any` answers as `field__in` does, with one array parameter."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import Category
from tests.factories import Territory


def test_any_matches_what_in_matches(territory: Territory) -> None:
    pothole, streetlight = territory.pothole, territory.streetlight
    cases = [
        [pothole.pk, streetlight.pk],
        {pothole.pk},
        (pk for pk in [streetlight.pk]),
        [pothole.pk, None],  # None matches nothing
        [],
    ]
    for ids in cases:
        ids = list(ids)
        assert set(Category.objects.filter(pk__any=ids)) == set(Category.objects.filter(pk__in=ids))
        assert set(Category.objects.exclude(pk__any=ids)) == set(
            Category.objects.exclude(pk__in=ids)
        )
    groups = [pothole.group, None]  # a foreign key's instances stand for their ids
    assert set(Category.objects.filter(group__any=groups)) == set(
        Category.objects.filter(group__in=groups)
    )


def test_any_binds_one_parameter_however_many_ids(territory: Territory) -> None:
    with CaptureQueriesContext(connection) as queries:
        found = list(
            Category.objects.filter(pk__any=[territory.pothole.pk, *range(10**6, 10**6 + 70_000)])
        )

    assert found == [territory.pothole]
    assert "ANY(" in queries[0]["sql"]
