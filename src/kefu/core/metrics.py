"""Prometheus text exposition without a client library: request counters, latency
histogram, and store gauges read at scrape time."""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.latency: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.timers_fired = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            buckets = self.latency[route]
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            buckets[-1] += 1
            self.latency_sum[route] += seconds

    def render(self, gauges: dict[str, tuple[str, list[tuple[dict, float]]]]) -> str:
        lines = ["# HELP kefu_http_requests_total HTTP requests by method, route and status.",
                 "# TYPE kefu_http_requests_total counter"]
        with self._lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(f'kefu_http_requests_total{{method="{method}",route="{_esc(route)}",'
                             f'status="{status}"}} {n}')
            lines += ["# HELP kefu_http_request_seconds Request latency.",
                      "# TYPE kefu_http_request_seconds histogram"]
            for route, buckets in sorted(self.latency.items()):
                r = _esc(route)
                for bound, n in zip(BUCKETS, buckets, strict=False):
                    lines.append(f'kefu_http_request_seconds_bucket{{route="{r}",le="{bound}"}} {n}')
                lines.append(f'kefu_http_request_seconds_bucket{{route="{r}",le="+Inf"}} {buckets[-1]}')
                lines.append(f'kefu_http_request_seconds_sum{{route="{r}"}} {self.latency_sum[route]:.6f}')
                lines.append(f'kefu_http_request_seconds_count{{route="{r}"}} {buckets[-1]}')
            lines += ["# HELP kefu_timers_fired_total Timers fired by this process.",
                      "# TYPE kefu_timers_fired_total counter", f"kefu_timers_fired_total {self.timers_fired}"]
        for name, (help_text, samples) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            for labels, value in samples:
                label = ",".join(f'{k}="{_esc(str(v))}"' for k, v in labels.items())
                lines.append(f"{name}{{{label}}} {value}" if label else f"{name} {value}")
        return "\n".join(lines) + "\n"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
