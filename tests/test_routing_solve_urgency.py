"""The "urgency" search's starts: dispatching by hand, or compact routes reordered for urgency."""

import math

import numpy as np

from routing.baseline import urgent_first
from routing.ortools_model import COMPACT_MIN_STOPS, compact_start, every_crew_working, start_cost
from routing.solve import LATENESS_PER_WEIGHT, Crew, Leg, Problem, Stop, prepare, solve, validate


def street(positions: list[int], stops: list[Stop], crews: list[Crew], **changes) -> Problem:
    """Nodes at the given metres along one street, 1 m per second; stop k at node k + 2."""
    matrix = [[abs(a - b) for b in positions] for a in positions]
    problem = Problem(
        stops=stops,
        stop_nodes=list(range(2, 2 + len(stops))),
        crews=crews,
        duration_s=matrix,
        distance_m=matrix,
        objective="urgency",
        time_limit_s=1.0,
    )
    for name, value in changes.items():
        setattr(problem, name, value)
    return problem


def two_districts() -> Problem:
    """One crew at 0 m; 20 stops near it and 20 near 10 km. The weights alternate between
    the districts, so dispatching by hand (heaviest first) crosses town 40 times."""
    west = [100 * k for k in range(1, 21)]
    east = [10_000 - 100 * k for k in range(1, 21)]
    places = [p for pair in zip(west, east, strict=True) for p in pair]
    stops = [Stop(f"s{k}", weight=100 - k) for k in range(len(places))]
    return street([0, 0, *places], stops, [Crew("c", 0, 0, 86_400)])


def test_start_cost_adds_driving_weighted_lateness_and_what_is_left_out() -> None:
    stops = [Stop("a", service_s=60, weight=6, deadline_s=50), Stop("b", weight=2)]
    problem = street([0, 0, 100, 300], stops, [Crew("c", 0, 0, 1_000)])
    duration, _ = validate(problem)
    search = prepare(problem, duration)

    both = start_cost(problem, search, [[0, 1]], duration)
    only_a = start_cost(problem, search, [[0]], duration)

    # a: 100 s there, 50 s late at weight 6; b: 200 s on, 300 s back
    assert both == 600 + 6 * 50 * LATENESS_PER_WEIGHT
    assert only_a > both  # leaving b out costs more than the 400 s of driving it needs


def test_start_cost_refuses_a_route_past_its_shift_and_a_missing_mandatory_stop() -> None:
    stops = [Stop("a", service_s=600), Stop("b", mandatory=True)]
    problem = street([0, 0, 100, 300], stops, [Crew("c", 0, 0, 700)])
    duration, _ = validate(problem)
    search = prepare(problem, duration)

    assert start_cost(problem, search, [[0, 1]], duration) == math.inf  # ends at 1,300 s
    assert start_cost(problem, search, [[0]], duration) == math.inf  # b is mandatory
    assert start_cost(problem, search, [[1]], duration) < math.inf


def test_the_compact_start_is_the_shortest_round_and_beats_a_zigzag_dispatch() -> None:
    problem = two_districts()
    duration, distance = validate(problem)
    search = prepare(problem, duration)

    compact = compact_start(problem, search, duration, distance, 1.0)
    hand = urgent_first(problem, search, duration)

    assert sorted(compact[0]) == list(range(40))
    assert start_cost(problem, search, compact, duration) == 19_800  # out to 9.9 km and back
    assert start_cost(problem, search, hand, duration) > 19_800 * 10


def test_urgency_without_deadlines_drives_the_shortest_routes_from_a_zigzag_dispatch() -> None:
    problem = two_districts()
    assert len(problem.stops) >= COMPACT_MIN_STOPS

    plan = solve(problem)

    assert plan.routes[0].duration_s == 19_800
    assert plan.weighted_lateness == 0


def test_a_small_problem_keeps_a_single_start() -> None:
    """Below COMPACT_MIN_STOPS the search starts from the hand dispatch alone; the known
    optimum of a small line is still found."""
    positions = [0, 0, *np.arange(100, 1_100, 100).tolist()]
    stops = [Stop(f"s{k}", weight=10 - k) for k in range(10)]
    plan = solve(street(positions, stops, [Crew("c", 0, 0, 86_400)], time_limit_s=0.5))

    assert plan.routes[0].duration_s == 2_000


def test_every_crew_working_hands_an_idle_crew_half_a_route_of_its_kind() -> None:
    home, away = Leg(0, 0, 0, 100), Leg(1, 0, 1, 100)
    legs = [home, away, home, away]

    routes = every_crew_working([[1, 2, 3, 4, 5], [6, 7], [], [8, 9, 10]], legs)

    # Crew 2 shares crew 0's depot and hours: it takes the second half of crew 0's route.
    assert routes == [[1, 2], [6, 7], [3, 4, 5], [8, 9, 10]]
    # No crew of its kind works: the longest route of any kind is split.
    assert every_crew_working([[1, 2, 3, 4], [], [5]], [home, away, home]) == [[1, 2], [3, 4], [5]]
    # A nearly idle crew (under a quarter of the mean stops per crew) keeps its stops too.
    nearly = every_crew_working([list(range(1, 11)), [11], list(range(12, 21))], [home, home, away])
    assert nearly == [[1, 2, 3, 4, 5], [11, 6, 7, 8, 9, 10], list(range(12, 21))]
    # A crew without a shift stays idle.
    assert every_crew_working([[1, 2], []], [home, Leg(1, 0, 1, 0)]) == [[1, 2], []]
