"""python manage.py plan_route --input problem.json --output plan.json: solve without a database.

The schema of both files is in README.md ("Crew routes"); an example is
fixtures/routing/example_problem.json. "-" reads stdin or writes stdout.
"""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from routing.problem import load_problem, plan_to_json
from routing.solve import ProblemError, solve


class Command(BaseCommand):
    help = "Plan crew routes for a JSON problem and write the plan as JSON (no database)."
    # Neither the checks nor the migration check may open a database connection.
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="problem JSON file, or - for stdin")
        parser.add_argument("--output", default="-", help="plan JSON file, or - for stdout")

    def handle(self, *args: Any, **options: Any) -> None:
        data = self._read(options["input"])
        try:
            problem, context = load_problem(data)
            plan = solve(problem)
        except ProblemError as exc:
            raise CommandError(f"{options['input']}: {exc}") from exc
        text = json.dumps(plan_to_json(plan, problem, context), indent=2, ensure_ascii=False)
        if options["output"] == "-":
            self.stdout.write(text)
            return
        try:
            Path(options["output"]).write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{options['output']}: cannot write the plan ({exc})") from exc
        served = sum(len(route.visits) for route in plan.routes)
        self.stderr.write(
            f"Planned {served} stops on {len(plan.routes)} routes, {len(plan.left_out)} left "
            f"out ({plan.solver}, {plan.solve_s:.1f} s): {options['output']}"
        )

    def _read(self, name: str) -> Any:
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{name}: cannot read the problem ({exc})") from exc
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{name}: not valid JSON ({exc})") from exc
