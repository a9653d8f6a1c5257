"""The mixed workload shared by bench/soak.py and the @load feature.

The ways real platforms lose evaluations all show up only under a MIX: a fast failure
racing a slow run, a timeout kill next to an output flood. Each kind is a probe file
(support/probes/load_*.py) with the one outcome the contract prescribes for it, so a
platform that, say, stops capping output turns a `failed/output_limit` into a
`failed/timeout` and is counted as a wrong status rather than passing unnoticed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from support import probes, reporting
from support.evaluations import timestamp


@dataclass(frozen=True)
class Kind:
    """One kind of evaluation in the mix: what is submitted, and how it must end."""

    name: str
    probe: str
    status: str
    reason: Optional[str]
    params: dict = field(default_factory=dict)
    timeout: Optional[int] = None        # the request's timeout (s); None: the platform default

    def body(self) -> dict:
        body = {"code": probes.load(self.probe, **self.params)}
        if self.timeout is not None:
            body["timeout"] = self.timeout
        return body

    @property
    def expected(self) -> tuple[str, Optional[str]]:
        return self.status, self.reason


KINDS = {kind.name: kind for kind in (
    Kind("fast", "load_fast", "completed", None),
    Kind("slow", "load_slow", "completed", None, params={"seconds": 0.2}),
    Kind("failing", "load_failing", "failed", "nonzero_exit"),
    Kind("timeout", "load_timeout", "failed", "timeout", timeout=1),
    # A working output cap ends it at once; a broken one lets it run into this timeout.
    Kind("flood", "load_flood", "failed", "output_limit", timeout=10),
)}
# Ten submissions' worth of the mix, repeated: 40% fast, 20% failing, 20% slow, 10% timing
# out, 10% flooding output. Fast ones dominate, as on a real platform.
PATTERN = ("fast", "failing", "slow", "fast", "flood", "fast", "failing", "slow", "timeout", "fast")


def mix(n: int) -> list[Kind]:
    """The first `n` kinds of the repeating pattern (deterministic: runs are comparable)."""
    return [KINDS[PATTERN[i % len(PATTERN)]] for i in range(n)]


def outcome(record: dict) -> tuple[str, Optional[str]]:
    return record["status"], record.get("reason")


def wrong_outcomes(records: list[dict], kinds: list[Kind],
                   also_allowed: list[tuple[str, Optional[str]]] = ()) -> list[tuple[str, str, tuple, tuple]]:
    """(eval_id, kind, expected, got) for every record that did not end as its kind must
    (or as one of `also_allowed`: failed/worker_lost when workers are being killed)."""
    return [(r["eval_id"], k.name, k.expected, outcome(r))
            for r, k in zip(records, kinds) if outcome(r) != k.expected and outcome(r) not in also_allowed]


def latency_ms(record: dict) -> float:
    """Submit -> terminal as the platform recorded it (the client's polling does not count)."""
    return (timestamp(record, "completed_at") - timestamp(record, "created_at")).total_seconds() * 1000


def summary_lines(records: list[dict], wall_s: Optional[float] = None) -> list[str]:
    """Throughput and latency percentiles of terminal records, as report lines.

    Throughput is over `wall_s` when given (the client's wall clock), else from the first
    creation to the last completion the platform recorded.
    """
    latencies = [latency_ms(r) for r in records]
    if wall_s is None:
        wall_s = (max(timestamp(r, "completed_at") for r in records)
                  - min(timestamp(r, "created_at") for r in records)).total_seconds()
    percentiles = ", ".join(f"p{int(q * 100)} {reporting.percentile(latencies, q):.0f}"
                            for q in (0.5, 0.9, 0.95, 0.99))
    return [f"{len(records)} evaluations in {wall_s:.2f} s: {len(records) / wall_s:.1f} evaluations/s",
            f"submit->terminal latency (ms): {percentiles}, max {max(latencies):.0f}"]
