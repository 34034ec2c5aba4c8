"""The CloudWatch dashboard body (a pure function of the deployed names and ARNs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

#: Step Functions STANDARD price: USD per state transition ($0.025 per 1,000).
PRICE_PER_TRANSITION: Final = 0.025 / 1000
OUTCOMES: Final = ("Started", "Succeeded", "Failed", "TimedOut", "Aborted")
JOB_STATUSES: Final = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")


#: Transitions the request cache adds to a run (a miss): key, lookup, three copies into it.
CACHE_MISS_TRANSITIONS: Final = 5
#: Transitions of an execution answered from the request cache (the object form; 9 for the
#: bare array): read, prepare, store, key, lookup, three copies, the end.
CACHE_HIT_TRANSITIONS: Final = 10


def transitions_per_run(entries: int, entries_per_job: int, *, cache: bool = False) -> int:
    """State transitions of one execution, at most: 2C + 8 for C retrieval chunks
    (C + 6 when nothing is retried), 5 more for a miss of the request cache."""
    return 2 * -(-entries // entries_per_job) + 8 + (CACHE_MISS_TRANSITIONS if cache else 0)


@dataclass(frozen=True)
class DashboardInputs:
    """What the dashboard shows, resolved."""

    region: str
    environment: str
    state_machine_arn: str
    queue_name: str
    job_events_log: str
    metric_namespace: str
    assumed_entries: int
    entries_per_job: int
    #: The request cache is on (`cacheTtlDays` > 0).
    cache: bool = False


def dashboard_body(inputs: DashboardInputs) -> dict[str, Any]:
    """Widgets: throughput and outcomes, duration percentiles, Batch job states and
    durations per job definition, estimated cost per execution."""
    sm = ["AWS/States", "", "StateMachineArn", inputs.state_machine_arn]
    outcomes = [[*_metric(sm, f"Executions{o}"), {"stat": "Sum", "label": o}] for o in OUTCOMES]
    percentiles = [
        [*_metric(sm, "ExecutionTime"), {"stat": p, "label": f"{p} (ms)"}]
        for p in ("p50", "p90", "p99")
    ]
    queue = [
        inputs.metric_namespace,
        "",
        "Environment",
        inputs.environment,
        "JobQueue",
        inputs.queue_name,
    ]
    job_states = [
        [*_metric(queue, "Jobs"), "Status", s, {"stat": "Maximum", "label": s}]
        for s in JOB_STATUSES
    ]
    job_states.append([*_metric(queue, "QueueDepth"), {"stat": "Maximum", "label": "waiting"}])
    per_run = transitions_per_run(
        inputs.assumed_entries, inputs.entries_per_job, cache=inputs.cache
    )
    cost = [
        [*_metric(sm, "ExecutionsStarted"), {"id": "runs", "stat": "Sum", "visible": False}],
        [
            {
                "id": "cost",
                "expression": f"runs * {per_run} * {PRICE_PER_TRANSITION:.6f}",
                "label": f"USD, assuming {inputs.assumed_entries} entries per run",
            }
        ],
    ]
    widgets = [
        _text(
            0, 0, 24, 2, _cost_note(inputs.assumed_entries, inputs.entries_per_job, inputs.cache)
        ),
        _metrics(0, 2, "Executions (throughput and outcomes)", inputs.region, outcomes),
        _metrics(12, 2, "Execution time percentiles", inputs.region, percentiles),
        _metrics(0, 8, "Batch jobs by state (this queue)", inputs.region, job_states, period=60),
        _metrics(12, 8, "Estimated Step Functions cost per day", inputs.region, cost, period=86400),
        _log(0, 14, "Finished Batch jobs per job definition", inputs, _FINISHED_QUERY),
        _log(12, 14, "Batch job durations per job definition (s)", inputs, _DURATION_QUERY),
    ]
    return {"widgets": widgets}


_FINISHED_QUERY: Final = (
    "fields detail.jobDefinition as definition, detail.status as status"
    ' | filter status in ["SUCCEEDED", "FAILED"]'
    " | stats count(*) as jobs by definition, status"
)
_DURATION_QUERY: Final = (
    'filter detail.status in ["SUCCEEDED", "FAILED"]'
    " | fields (detail.stoppedAt - detail.startedAt) / 1000 as run_s,"
    " (detail.startedAt - detail.createdAt) / 1000 as wait_s"
    " | stats avg(run_s), pct(run_s, 90), max(run_s), avg(wait_s) by detail.jobDefinition"
)


def _cost_note(entries: int, entries_per_job: int, cache: bool) -> str:
    per_run = transitions_per_run(entries, entries_per_job, cache=cache)
    fixed = 8 + (CACHE_MISS_TRANSITIONS if cache else 0)
    hit = (
        f" An answer from the request cache makes {CACHE_HIT_TRANSITIONS} transitions "
        f"(${CACHE_HIT_TRANSITIONS * PRICE_PER_TRANSITION:.5f}) and runs no Batch job."
        if cache
        else ""
    )
    return (
        "**Cost per execution (estimate).** Step Functions STANDARD costs $0.025 per 1,000 "
        f"state transitions; a run with N entries in chunks of {entries_per_job} (C chunks) "
        f"makes at most 2C + {fixed} transitions, so "
        f"N = {entries} costs {per_run} x $0.000025 = ${per_run * PRICE_PER_TRANSITION:.5f}.{hit} "
        "Batch compute, S3 and CloudWatch are billed separately."
    )


def _metric(base: list[str], name: str) -> list[str]:
    return [base[0], name, *base[2:]]


def _metrics(
    x: int, y: int, title: str, region: str, metrics: list[Any], *, period: int = 300
) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "period": period,
            "view": "timeSeries",
            "stacked": False,
        },
    }


def _log(x: int, y: int, title: str, inputs: DashboardInputs, query: str) -> dict[str, Any]:
    return {
        "type": "log",
        "x": x,
        "y": y,
        "width": 12,
        "height": 6,
        "properties": {
            "title": title,
            "region": inputs.region,
            "query": f"SOURCE '{inputs.job_events_log}' | {query}",
            "view": "table",
        },
    }


def _text(x: int, y: int, width: int, height: int, markdown: str) -> dict[str, Any]:
    return {
        "type": "text",
        "x": x,
        "y": y,
        "width": width,
        "height": height,
        "properties": {"markdown": markdown},
    }
