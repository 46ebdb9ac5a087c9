"""Dispatching by hand: most urgent first, then the nearest stop. Pure, like routing.solve.

It is what a coordinator does without a planner, so the benchmark compares the planner with
it; the planner also starts its OR-Tools search from it ("urgency"), so the search can only
improve on it.
"""

import numpy as np

from routing.solve import Leg, Problem, Search


def urgent_first(problem: Problem, search: Search, duration: np.ndarray) -> list[list[int]]:
    """Return per crew the free stops taken in dispatch order.

    The crew free first takes, among the stops of the most urgent class left (emergencies,
    then by decreasing weight), the nearest one that still lets it home by the shift end;
    emergencies are taken whatever the time. A crew with nothing left that fits goes home.
    """
    left = set(search.free)
    position = [leg.start_node for leg in search.legs]
    clock = [leg.start_s for leg in search.legs]
    working = set(range(len(search.legs)))
    orders: list[list[int]] = [[] for _ in search.legs]

    def urgency(i: int) -> tuple[bool, float]:
        return problem.stops[i].emergency, problem.stops[i].weight

    while left and working:
        k = min(working, key=lambda c: (clock[c], c))
        pick = None
        for level in sorted({urgency(i) for i in left}, reverse=True):
            fitting = [
                i
                for i in left
                if urgency(i) == level
                and (
                    problem.stops[i].emergency
                    or _fits(problem, duration, search.legs[k], position[k], clock[k], i)
                )
            ]
            if fitting:
                here = position[k]
                pick = min(fitting, key=lambda i: (duration[here, problem.stop_nodes[i]], i))
                break
        if pick is None:
            working.discard(k)
            continue
        clock[k] += int(duration[position[k], problem.stop_nodes[pick]])
        clock[k] += problem.stops[pick].service_s
        position[k] = problem.stop_nodes[pick]
        orders[k].append(pick)
        left.discard(pick)
    return orders


def _fits(problem: Problem, duration: np.ndarray, leg: Leg, node: int, clock: int, i: int) -> bool:
    """Tell whether stop i, taken now, still lets the crew home by its shift end."""
    stop, there = problem.stops[i], problem.stop_nodes[i]
    done = clock + int(duration[node, there]) + stop.service_s
    return done + int(duration[there, leg.end_node]) <= leg.end_s
