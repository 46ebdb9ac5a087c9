"""The "distance" objective's PyVRP model: co-located stops searched as one, shifts kept."""

import numpy as np

from routing.pyvrp_model import co_located
from routing.solve import Crew, Problem, Stop, solve

FAST = 0.3


def order(plan, crew: int = 0) -> list[str]:
    return [visit.stop_id for visit in plan.routes[crew].visits]


def street_problem(stops: list[Stop], nodes: list[int], **changes) -> Problem:
    """Depot at node 0; nodes 1-3 at 100, 200 and 300 m along a street, 1 m per second."""
    points = [0, 100, 200, 300]
    matrix = [[abs(a - b) for b in points] for a in points]
    problem = Problem(
        stops=stops,
        stop_nodes=nodes,
        crews=[Crew("c", 0, 0, 10_000)],
        duration_s=matrix,
        distance_m=matrix,
        objective="distance",
        time_limit_s=FAST,
    )
    for name, value in changes.items():
        setattr(problem, name, value)
    return problem


def test_required_stops_at_one_junction_form_one_group_and_optional_ones_stay_alone() -> None:
    problem = street_problem(
        [
            Stop("a", mandatory=True),
            Stop("b", mandatory=True),
            Stop("c", mandatory=True),
            Stop("d"),
            Stop("e"),
        ],
        [1, 2, 1, 1, 1],
    )
    matrix = np.asarray(problem.duration_s)

    assert co_located(problem, range(5), matrix, matrix) == [[0, 2], [1], [3], [4]]


def test_points_apart_in_the_distance_matrix_are_not_merged() -> None:
    stops = [Stop("a", mandatory=True), Stop("b", mandatory=True)]
    duration = np.array([[0, 60, 60], [60, 0, 0], [60, 0, 0]])
    distance = np.array([[0, 500, 500], [500, 0, 5], [500, 5, 0]])  # 5 m apart, 0 s
    problem = street_problem(stops, [1, 2], duration_s=duration, distance_m=distance)

    assert co_located(problem, range(2), duration, distance) == [[0], [1]]


def test_stops_at_one_junction_are_all_served_one_after_the_other() -> None:
    stops = [Stop(name, service_s=60, mandatory=True) for name in "abcde"]
    plan = solve(street_problem(stops, [3, 1, 3, 2, 3]))

    visited = order(plan)
    assert sorted(visited) == ["a", "b", "c", "d", "e"]
    at_far_end = [k for k, stop_id in enumerate(visited) if stop_id in "ace"]
    assert at_far_end == list(range(at_far_end[0], at_far_end[0] + 3))
    assert sum(route.distance_m for route in plan.routes) == 600


def test_a_full_day_keeps_the_co_located_mandatory_stops_and_the_heaviest_optional_ones() -> None:
    stops = [
        Stop("m1", service_s=600, mandatory=True),
        Stop("m2", service_s=600, mandatory=True),
        Stop("light", service_s=600, weight=1),
        Stop("heavy", service_s=600, weight=5),
        Stop("medium", service_s=600, weight=3),
    ]
    crews = [Crew("north", 0, 0, 2500), Crew("south", 0, 0, 1300)]
    plan = solve(street_problem(stops, [2, 2, 3, 3, 1], crews=crews))

    served = [stop_id for route in plan.routes for stop_id in order_of(route)]
    assert sorted(served) == ["heavy", "m1", "m2", "medium"]
    assert [item.stop_id for item in plan.left_out] == ["light"]
    assert all(route.end_s <= crew.end_s for route, crew in zip(plan.routes, crews, strict=True))


def order_of(route) -> list[str]:
    return [visit.stop_id for visit in route.visits]


def test_the_shortest_round_keeps_every_crew_in_its_shift_when_all_stops_are_mandatory() -> None:
    """One van doing both far jobs drives 10.1 km but works 500 s overtime; two vans drive
    20 km and finish on time. Overtime is not worth a few kilometres."""
    duration = [[0, 100, 100], [100, 0, 100], [100, 100, 0]]
    distance = [[0, 5000, 5000], [5000, 0, 100], [5000, 100, 0]]
    problem = Problem(
        stops=[Stop("a", service_s=500, mandatory=True), Stop("b", service_s=500, mandatory=True)],
        stop_nodes=[1, 2],
        crews=[Crew("north", 0, 0, 800), Crew("south", 0, 0, 800)],
        duration_s=duration,
        distance_m=distance,
        objective="distance",
        time_limit_s=FAST,
    )

    plan = solve(problem)

    assert sorted(len(route.visits) for route in plan.routes) == [1, 1]
    assert all(route.end_s <= 800 for route in plan.routes)
    assert plan.notes == []
