"""The peer side of bench/wfm_bench.py, run by the Python of a throwaway venv holding pyworkforce 0.5.1
(never kefu's): reads a JSON job on stdin, times pyworkforce on it, writes JSON on stdout."""

from __future__ import annotations

import json
import sys
import time


def erlang(job: dict) -> dict:
    """Best of ``repeat`` passes over the cells, like kefu's side."""
    runs = [_erlang_pass(job) for _ in range(job.get("repeat", 1))]
    best = min(runs, key=lambda r: r["seconds"])
    times = sorted(r["seconds"] for r in runs)
    return best | {"median_seconds": times[len(times) // 2]}


def _erlang_pass(job: dict) -> dict:
    from pyworkforce.queuing import ErlangC

    out, errors = [], 0
    began = time.perf_counter()
    for calls, aht in zip(job["calls"], job["aht"], strict=True):
        try:
            r = ErlangC(transactions=calls, aht=aht / 60, asa=job["target"] / 60, interval=job["interval"],
                        shrinkage=job["shrinkage"]).required_positions(service_level=job["sl"],
                                                                       max_occupancy=job["occ"])
            out.append([r["raw_positions"], r["positions"]])
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            errors += 1
            out.append(str(exc))
    return {"seconds": time.perf_counter() - began, "answers": out, "errors": errors}


def schedule(job: dict) -> dict:
    from pyworkforce.scheduling import MinAbsDifference

    began, cpu = time.perf_counter(), time.process_time()
    s = MinAbsDifference(num_days=job["days"], periods=job["periods"], shifts_coverage=job["coverage"],
                         required_resources=job["required"], max_period_concurrency=job["max_period"],
                         max_shift_concurrency=job["max_shift"], max_search_time=float(job["time_limit"]),
                         num_search_workers=job["workers"])
    solution = s.solve()
    return {"seconds": time.perf_counter() - began, "cpu_seconds": time.process_time() - cpu,
            "status": solution["status"], "resources": solution["resources_shifts"]}


if __name__ == "__main__":
    job = json.load(sys.stdin)
    json.dump({"erlang": erlang, "schedule": schedule}[job["kind"]](job), sys.stdout)
