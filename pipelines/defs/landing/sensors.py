"""Start a micro-batch when the registry holds changes past the landed cursor, or the first
complete build when the warehouse has never been built."""

from collections.abc import Sequence
from typing import Any

import dagster as dg

from pipelines.defs.resources import RegistryResource, WarehouseResource
from pipelines.lib.landing import pending_changes

SENSOR_INTERVAL_S = 15
MICROBATCH_JOB = "microbatch_job"
# A micro-batch builds only the models new changes touch: on a warehouse never built (no
# reference models, no dims) it would fail, so the first run is the complete pipeline_job.
FIRST_BUILD_JOB = "pipeline_job"
_ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def build_registry_changes_sensor(jobs: Sequence[Any]) -> dg.SensorDefinition:
    """The sensor, targeting the micro-batch and first-build jobs among ``jobs`` (``build_jobs``)."""

    @dg.sensor(
        name="registry_changes_sensor",
        jobs=[j for j in jobs if j.name in (MICROBATCH_JOB, FIRST_BUILD_JOB)],
        minimum_interval_seconds=SENSOR_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Launches microbatch_job when the registry change log has rows past the landed cursor "
                    "(pipeline_job instead while the warehouse has never been built).",
    )
    def registry_changes_sensor(
        context: dg.SensorEvaluationContext, registry: RegistryResource, warehouse: WarehouseResource
    ) -> dg.SensorResult | dg.SkipReason:
        return evaluate(context, registry, warehouse)

    return registry_changes_sensor


def evaluate(
    context: dg.SensorEvaluationContext, registry: RegistryResource, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    from pipelines.run import is_built

    # One run of either kind at a time: the next tick picks up whatever arrived meanwhile.
    for job in (MICROBATCH_JOB, FIRST_BUILD_JOB):
        active = context.instance.get_runs(filters=dg.RunsFilter(job_name=job, statuses=_ACTIVE), limit=1)
        if active:
            return dg.SkipReason(f"{job} run {active[0].run_id} still running")
    wh = warehouse.get()
    pending = pending_changes(registry.url, wh)
    if not is_built(wh):
        # even on an empty registry: readers (dashboards, datasets) need the tables to exist
        return dg.SensorResult(run_requests=[dg.RunRequest(
            job_name=FIRST_BUILD_JOB, run_key=f"first-build->{pending.head or '0'}",
            tags={"civstat/changes": str(pending.count), "civstat/first-build": "true"})])
    if pending.count == 0:
        return dg.SkipReason(f"no change past cursor {pending.landed}")
    # The run key is the (landed, head) pair: a stale cursor hint cannot launch the same batch twice.
    return dg.SensorResult(run_requests=[dg.RunRequest(
        job_name=MICROBATCH_JOB, run_key=f"{pending.landed or '0'}->{pending.head}",
        tags={"civstat/changes": str(pending.count)})])
