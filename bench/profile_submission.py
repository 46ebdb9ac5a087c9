"""CPU per submission in one process: how a change to the submission path is judged here.

    .venv/bin/python bench/profile_submission.py [--submissions 300] [--rounds 3]
        [--profile var/submission.prof]

Sends `POST /api/v1/reports/` (JSON, no photo, as bench/scale.py does) through Django's
test client, with the settings bench/scale.py gives gunicorn (production, DEBUG off), to the
large city bench/scale.py built (BENCH_DATABASE_URL, default segnala_bench_scale: run
bench/scale.py once first), restored from the kept copy as built so that runs compare, and
prints the process's CPU milliseconds per submission: the
best of `rounds` rounds, since this machine's CPU speed drifts between runs (CPU time of one
process is steadier than a throughput). With --profile, one more round runs under cProfile,
saved to that file, and its top functions by own CPU time are printed.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.scale import production_env, restore_city, submission_places, submit_requests

# Production's settings and request path, as bench/scale.py runs gunicorn.
os.environ.update(production_env())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    # Every run starts from the city as built: the submissions of earlier runs would make it
    # slower run after run (hot-spot issues grow).
    restored_s = restore_city()
    import django

    django.setup()
    from django.test import Client

    count = args.submissions
    places = submission_places(count * (args.rounds + 2), args.seed)
    bodies = [body for _, _, body, _ in submit_requests(places, None)]
    client = Client(HTTP_HOST="127.0.0.1")

    def send(batch: list[bytes]) -> float:
        started = time.process_time()
        for body in batch:
            answer = client.post("/api/v1/reports/", body, content_type="application/json")
            if answer.status_code not in (200, 201):
                sys.exit(f"submission refused: {answer.status_code} {answer.content[:200]!r}")
        return (time.process_time() - started) * 1000 / len(batch)

    send(bodies[:count])  # warm: imports, the catalogue, prepared statements
    best = min(send(bodies[count * (r + 1) : count * (r + 2)]) for r in range(args.rounds))
    print(f"$ python {' '.join(sys.argv)}")
    print(
        f"CPU per submission, in process: {best:.2f} ms (best of {args.rounds} x {count}; "
        f"the built city restored in {restored_s} s)"
    )
    if args.profile:
        # Timed by the process's CPU clock, as the figure above: waits on PostgreSQL and
        # Redis then cost only the CPU spent sending and reading, not the time spent waiting.
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(send, bodies[count * (args.rounds + 1) :])
        args.profile.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(args.profile)
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
