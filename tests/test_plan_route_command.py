"""manage.py plan_route: JSON problem in, JSON plan out, no database (no `db` fixture here:
pytest-django fails any test that opens a connection)."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

EXAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "routing" / "example_problem.json"


def run(problem: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    source, target = tmp_path / "problem.json", tmp_path / "plan.json"
    source.write_text(json.dumps(problem))
    call_command(
        "plan_route", "--input", str(source), "--output", str(target), stderr=io.StringIO()
    )
    return json.loads(target.read_text())


def fast_example() -> dict[str, Any]:
    problem = json.loads(EXAMPLE.read_text())
    problem["time_limit_s"] = 0.5
    return problem


def matrix_problem(**changes: Any) -> dict[str, Any]:
    problem = {
        "objective": "distance",
        "time_limit_s": 0.2,
        "matrix": [[0, 60, 120], [60, 0, 60], [120, 60, 0]],
        "crews": [{"id": "solo", "depot": 0, "shift_start": "08:00", "shift_end": "12:00"}],
        "stops": [
            {"id": "far", "node": 2, "service_s": 300},
            {"id": "near", "node": 1, "service_s": 300, "weight": 2, "deadline": "08:05"},
        ],
    }
    return {**problem, **changes}


@pytest.mark.parametrize("objective", ["urgency", "distance"])
def test_the_example_is_planned_on_the_road_network(objective: str, tmp_path: Path) -> None:
    problem = fast_example()
    problem["objective"] = objective

    plan = run(problem, tmp_path)

    assert plan["network"] == "road"
    assert plan["objective"] == objective
    assert [route["crew"] for route in plan["routes"]] == ["north", "south"]
    served = [stop["id"] for route in plan["routes"] for stop in route["stops"]]
    left_out = [item["id"] for item in plan["left_out"]]
    assert sorted(served + left_out) == sorted(stop["id"] for stop in problem["stops"])
    assert {"tree-kaivokatu", "pothole-siltasaarenkatu"} <= set(served)  # emergency, mandatory
    firsts = [route["stops"][0]["id"] for route in plan["routes"]]
    assert "tree-kaivokatu" in firsts
    assert all(item["reason"] == "does not fit in today's shifts" for item in plan["left_out"])
    route = plan["routes"][0]
    assert route["distance_m"] > 0
    assert route["start"] == "07:30"
    assert {"id", "arrival", "arrival_s", "departure_s", "late_s", "lat", "lon"} <= set(
        route["stops"][0]
    )


def test_routes_carry_their_geometry_on_request(tmp_path: Path) -> None:
    problem = fast_example()
    problem["geometry"] = True

    plan = run(problem, tmp_path)

    shape = plan["routes"][0]["geometry"]
    assert len(shape) > 10
    assert shape[0] == shape[-1]  # back at the depot
    assert all(24.9 < lon < 25.0 and 60.1 < lat < 60.2 for lon, lat in shape)


def test_without_a_network_distances_are_straight_lines_and_the_plan_says_so(
    tmp_path: Path,
) -> None:
    problem = fast_example()
    problem["network"] = None

    plan = run(problem, tmp_path)

    assert plan["network"] == "straight_line"
    assert any("No road network" in note for note in plan["notes"])


def test_an_explicit_matrix_is_used_as_given(tmp_path: Path) -> None:
    plan = run(matrix_problem(objective="urgency"), tmp_path)

    stops = plan["routes"][0]["stops"]
    assert [stop["id"] for stop in stops] == ["near", "far"]
    assert stops[0]["arrival"] == "08:01"
    assert plan["network"] == "matrix"
    assert plan["routes"][0]["distance_m"] is None  # no distance_matrix given
    assert plan["totals"]["driving_s"] == 240


def test_the_plan_can_go_to_stdout(tmp_path: Path) -> None:
    source = tmp_path / "problem.json"
    source.write_text(json.dumps(fast_example()))
    out = io.StringIO()

    call_command("plan_route", "--input", str(source), "--output", "-", stdout=out)

    assert json.loads(out.getvalue())["routes"]


def test_the_problem_can_come_from_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(matrix_problem())))
    out = io.StringIO()

    call_command("plan_route", "--input", "-", stdout=out)

    assert json.loads(out.getvalue())["totals"]["stops_served"] == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"objective": "fastest"}, "objective: must be one of distance, urgency"),
        ({"time_limit_s": 0}, "time_limit_s: must be more than 0"),
        ({"crews": []}, "crews: at least one crew"),
        ({"matrix": [[0, 1], [1]]}, r"matrix\[1\]: must have 2 numbers"),
        ({"matrix": [[0, -1], [1, 0]]}, r"matrix\[0\]\[1\]: must not be negative"),
        ({"stops": [{"id": "x", "node": 7}]}, r"stops\[0\]\.node: must be a matrix index"),
        ({"stops": [{"id": "x"}]}, r"stops\[0\]\.node: required"),
        ({"stops": [{"id": "x", "node": 1, "weight": "high"}]}, r"stops\[0\]\.weight: must be"),
        (
            {"stops": [{"id": "x", "node": 1, "deadline": "9h"}]},
            r'stops\[0\]\.deadline: must be "HH:MM"',
        ),
        (
            {"stops": [{"id": "x", "node": 1}, {"id": "x", "node": 2}]},
            r"stops\[1\]\.id: 'x' is used twice",
        ),
        (
            {"crews": [{"id": "c", "depot": 0, "shift_start": "12:00", "shift_end": "08:00"}]},
            r"crews\[0\]\.shift_end: must be after shift_start",
        ),
        ({"fixed_prefix": {"solo": ["ghost"]}}, "unknown stop ghost"),
    ],
)
def test_a_bad_problem_is_refused_with_the_field_named(
    change: dict[str, Any], message: str, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match=message):
        run(matrix_problem(**change), tmp_path)


@pytest.mark.parametrize(
    ("stop", "message"),
    [
        ({"id": "x", "lat": 95, "lon": 24.9}, r"stops\[0\]\.lat: must be a number between -90"),
        ({"id": "x", "lon": 24.9}, r"stops\[0\]\.lat: required"),
        ({"id": "x", "node": 1}, r"stops\[0\]\.node: only allowed with a matrix"),
    ],
)
def test_bad_coordinates_are_refused(stop: dict[str, Any], message: str, tmp_path: Path) -> None:
    problem = fast_example()
    problem["stops"] = [stop]

    with pytest.raises(CommandError, match=message):
        run(problem, tmp_path)


def test_a_missing_network_file_is_refused(tmp_path: Path) -> None:
    problem = fast_example()
    problem["network"] = "nowhere.osm.pbf"

    with pytest.raises(CommandError, match=r"network: no such file 'nowhere\.osm\.pbf'"):
        run(problem, tmp_path)


def test_input_that_is_not_json_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "problem.json"
    source.write_text("{not json")

    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("plan_route", "--input", str(source))


def test_a_missing_input_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read the problem"):
        call_command("plan_route", "--input", str(tmp_path / "missing.json"))
