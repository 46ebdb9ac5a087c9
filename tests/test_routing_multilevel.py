"""The "distance" search's coarser copies (routing.multilevel): chains of stops, their costs,
the choices of working crews, and the second process."""

import multiprocessing
import random
from multiprocessing.connection import Connection

import numpy as np
import pytest
from pyvrp import Client, Depot, Location, ProblemData, Route, Solution, VehicleType

from routing.multilevel import contract, levels
from routing.pyvrp_model import crew_choices
from routing.second_process import processors
from routing.solve import Crew, Leg, Problem, Stop, solve

RING = 80  # stops: more than the coarsening's floor (MIN_CLIENTS), so there is a coarse level
STEP_M = 10


def ring_matrix(size: int) -> np.ndarray:
    """Places 0..size-1 on a one-way ring, STEP_M apart: going back means going round."""
    places = np.arange(size)
    return ((places[None, :] - places[:, None]) % size) * STEP_M


def ring_data(stops: int = RING) -> ProblemData:
    """A depot at place 0 and a client at each place 1..stops of the ring."""
    matrix = ring_matrix(stops + 1)
    return ProblemData(
        locations=[Location(0, 0) for _ in range(stops + 1)],
        clients=[Client(location=k, required=True) for k in range(1, stops + 1)],
        depots=[Depot(location=0)],
        vehicle_types=[VehicleType(num_available=1)],
        distance_matrices=[matrix],
        duration_matrices=[matrix],
    )


def ring_problem(time_limit_s: float) -> Problem:
    matrix = ring_matrix(RING + 1).tolist()
    return Problem(
        stops=[Stop(f"s{k}", mandatory=True) for k in range(1, RING + 1)],
        stop_nodes=list(range(1, RING + 1)),
        crews=[Crew("c", 0, 0, 100_000)],
        duration_s=matrix,
        distance_m=matrix,
        objective="distance",
        time_limit_s=time_limit_s,
    )


def test_stops_along_a_one_way_ring_become_one_chain_in_driving_order() -> None:
    chain_levels = levels(ring_data(), None)

    assert chain_levels == [[[k] for k in range(RING)], [list(range(RING))]]


def test_coarsening_along_routes_links_only_stops_that_follow_each_other_in_them() -> None:
    data = ring_data()
    backwards = [(0, list(range(RING - 1, -1, -1)))]  # every nearest pair, the wrong way round

    assert levels(data, [(0, list(range(RING)))]) == levels(data, None)
    assert levels(data, backwards) == [[[k] for k in range(RING)]]


def test_a_route_of_chains_costs_what_its_stops_cost() -> None:
    rng = random.Random(4)
    size = 12  # a depot and 11 clients, one-way costs
    distance = np.array(
        [[0 if a == b else rng.randint(50, 900) for b in range(size)] for a in range(size)]
    )
    duration = np.array(
        [[0 if a == b else rng.randint(10, 200) for b in range(size)] for a in range(size)]
    )
    data = ProblemData(
        locations=[Location(0, 0) for _ in range(size)],
        clients=[Client(location=k, service_duration=60) for k in range(1, size)],
        depots=[Depot(location=0)],
        vehicle_types=[VehicleType(num_available=2)],
        distance_matrices=[distance],
        duration_matrices=[duration],
    )
    chains = [[3, 0, 7], [1], [10, 2], [4, 5, 6, 8], [9]]
    coarse = contract(data, chains)
    coarse_routes = [[2, 0], [4, 3, 1]]
    routes = [[client for k in order for client in chains[k]] for order in coarse_routes]

    fine = Solution(data, [Route(data, visits, 0) for visits in routes])
    joined = Solution(coarse, [Route(coarse, order, 0) for order in coarse_routes])

    assert joined.distance() == fine.distance()
    assert joined.duration() == fine.duration()


def test_the_searches_start_with_all_crews_and_with_one_fewer_of_each_kind() -> None:
    north, south = Leg(0, 0, 0, 100), Leg(1, 0, 1, 100)

    assert crew_choices([north, south, north, south]) == [[0, 1, 2, 3], [0, 1, 3], [0, 1, 2]]
    assert crew_choices([north]) == [[0]]


def test_the_planner_goes_round_a_one_way_ring_once() -> None:
    plan = solve(ring_problem(1.0))

    assert [visit.stop_id for visit in plan.routes[0].visits] == [
        f"s{k}" for k in range(1, RING + 1)
    ]
    assert plan.routes[0].distance_m == (RING + 1) * STEP_M


@pytest.mark.skipif(processors() < 2, reason="one processor")
def test_a_second_process_searches_when_there_is_time_and_a_second_processor() -> None:
    plan = solve(ring_problem(3.0))  # above HELPER_MIN_S and the forkserver's first start

    assert plan.solver.endswith(", 2 processes")
    assert plan.routes[0].distance_m == (RING + 1) * STEP_M


def solve_ring(conn: Connection) -> None:
    plan = solve(ring_problem(2.5))
    conn.send((plan.solver, plan.routes[0].distance_m))


def test_a_daemonic_process_like_a_celery_worker_searches_alone() -> None:
    """Daemonic processes may not have children: the search stays in the process."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=solve_ring, args=(send,), daemon=True)
    worker.start()
    send.close()
    solver, distance_m = receive.recv()
    worker.join()

    assert "process" not in solver
    assert distance_m == (RING + 1) * STEP_M
