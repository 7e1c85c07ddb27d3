"""Start a micro-batch when the registry holds changes past the landed cursor."""


import dagster as dg

from pipelines.defs.resources import RegistryResource, WarehouseResource
from pipelines.lib.landing import pending_changes

SENSOR_INTERVAL_S = 15
_ACTIVE = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@dg.sensor(
    name="registry_changes_sensor",
    job_name="microbatch_job",
    minimum_interval_seconds=SENSOR_INTERVAL_S,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Launches microbatch_job when the registry change log has rows past the landed cursor.",
)
def registry_changes_sensor(
    context: dg.SensorEvaluationContext, registry: RegistryResource, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    # One micro-batch at a time: the next tick picks up whatever arrived meanwhile.
    active = context.instance.get_runs(
        filters=dg.RunsFilter(job_name="microbatch_job", statuses=_ACTIVE), limit=1
    )
    if active:
        return dg.SkipReason(f"micro-batch {active[0].run_id} still running")
    pending = pending_changes(registry.url, warehouse.get())
    if pending.count == 0:
        return dg.SkipReason(f"no change past cursor {pending.landed}")
    # The run key is the (landed, head) pair: a stale cursor hint cannot launch the same batch twice.
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"{pending.landed or '0'}->{pending.head}", tags={"civstat/changes": str(pending.count)})],
    )
