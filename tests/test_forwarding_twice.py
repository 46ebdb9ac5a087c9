"""An issue already waiting for an external body is not forwarded to that body again.

Forwarding it twice sent the body a second e-mail with a second link for the same request.
"""

from django.core import mail
from django.test import Client

from backoffice import tasks
from backoffice.forwarding import answer_forwarding
from backoffice.models import Forwarding
from geo.models import ExternalBody
from tests.factories import Territory
from tests.test_backoffice import act, report
from tests.test_backoffice_forwarding import operator, water  # noqa: F401 (fixtures)


def test_a_second_forwarding_to_the_waiting_body_is_refused_until_it_closes_its_part(
    territory: Territory,
    operator: Client,  # noqa: F811
    water: ExternalBody,  # noqa: F811
) -> None:
    issue = report(description="Perdita d'acqua dal tombino")
    act(operator, issue, "forward", body=water.pk, message="Perdita dalla condotta.")
    [first] = Forwarding.objects.all()
    tasks.send_forwarding(first.pk)

    page = act(operator, issue, "forward", body=water.pk, message="Di nuovo, per favore.")

    assert "already has this issue" in page
    assert Forwarding.objects.count() == 1 and len(mail.outbox) == 1

    answer_forwarding(first.pk, answer="Non è nostra competenza.", resolved=True)
    act(operator, issue, "forward", body=water.pk, message="È invece vostra: la condotta.")
    assert Forwarding.objects.count() == 2
