"""The region_report pipeline as a Prefect flow, one task per step of its steps module.

    python region_report_flow.py [--THRESHOLD VALUE] [--N_ORDERS VALUE]

The flow runs in this process, its tasks one after another in the notebook's order,
handing their values on in memory. Without $PREFECT_API_URL (a Prefect server or Prefect
Cloud), Prefect starts a temporary local server for the run. Each task writes the
artifacts it rebuilds to $LINEAGE_DATA_DIR/<artifact>.pkl, a local folder or an fsspec
URL such as s3://bucket/prefix (default: data/ next to this file).

To run it from a Prefect server or Prefect Cloud instead (schedules, runs started in the
UI), serve it with region_report_flow.serve(name=...) or deploy it with

    prefect deploy region_report_flow.py:region_report_flow --pool POOL
"""

try:
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.logging import get_run_logger
    from prefect.utilities.annotations import quote
except ModuleNotFoundError as e:
    raise ModuleNotFoundError(
        "this flow needs Prefect: pip install 'notebook-lineage[prefect]' "
        "(or pip install -r requirements.txt)"
    ) from e

import region_report_module as steps


def save(value: object, name: str) -> None:
    """Pickle ``value`` as ``name`` under the data location, and log where it went."""
    get_run_logger().info(f"wrote {steps.save_value(value, name)}")


# shared by "region report", "big_stats", "double count"
@task(name="orders", cache_policy=NO_CACHE)
def orders_task(N_ORDERS):
    return steps.orders(N_ORDERS)


# artifact "double count"
@task(name="double_count", cache_policy=NO_CACHE)
def double_count_task(orders):
    double_count = steps.double_count(orders)
    save(double_count, "double_count.pkl")
    return double_count


# artifact "big_stats"
@task(name="big_stats", cache_policy=NO_CACHE)
def big_stats_task(orders, THRESHOLD):
    stats = steps.big_stats(orders, THRESHOLD)
    save(stats, "big_stats.pkl")
    return stats


# artifact "region report"
@task(name="region_report", cache_policy=NO_CACHE)
def region_report_task(orders):
    report = steps.region_report(orders)
    save(report, "region_report.pkl")
    return report


@flow(name="region_report")
def region_report_flow(THRESHOLD: float = 50.0, N_ORDERS: int = 200) -> None:
    """Run every step once, in order. quote() hands a value to the next task as it is
    (Prefect would otherwise walk through it looking for futures)."""
    orders = orders_task(N_ORDERS)
    double_count_task(quote(orders))
    big_stats_task(quote(orders), THRESHOLD)
    region_report_task(quote(orders))


def main(argv: list[str] | None = None) -> None:
    params = steps.parse_params(argv)
    region_report_flow(**params)


if __name__ == "__main__":
    main()
