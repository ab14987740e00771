"""The by_group pipeline as a Prefect flow, one task per step of its steps module.

    python by_group_flow.py [--N_ROWS VALUE]

The flow runs in this process, its tasks one after another in the notebook's order,
handing their values on in memory. Without $PREFECT_API_URL (a Prefect server or Prefect
Cloud), Prefect starts a temporary local server for the run. Each task writes the
artifacts it rebuilds to $LINEAGE_DATA_DIR/<artifact>.pkl, a local folder or an fsspec
URL such as s3://bucket/prefix (default: data/ next to this file).

To run it from a Prefect server or Prefect Cloud instead (schedules, runs started in the
UI), serve it with by_group_flow.serve(name=...) or deploy it with

    prefect deploy by_group_flow.py:by_group_flow --pool POOL
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

import by_group_module as steps


def save(value: object, name: str) -> None:
    """Pickle ``value`` as ``name`` under the data location, and log where it went."""
    get_run_logger().info(f"wrote {steps.save_value(value, name)}")


# shared by "by_group", "matrix", "total"
@task(name="df", cache_policy=NO_CACHE)
def df_task(N_ROWS):
    return steps.df(N_ROWS)


# artifact "by_group"
@task(name="by_group", cache_policy=NO_CACHE)
def by_group_task(df):
    by_group = steps.by_group(df)
    save(by_group, "by_group.pkl")
    return by_group


# artifact "matrix", also needed by "total"
@task(name="matrix", cache_policy=NO_CACHE)
def matrix_task(df):
    matrix = steps.matrix(df)
    save(matrix, "matrix.pkl")
    return matrix


# artifact "total"
@task(name="total", cache_policy=NO_CACHE)
def total_task(matrix):
    total = steps.total(matrix)
    save(total, "total.pkl")
    return total


@flow(name="by_group")
def by_group_flow(N_ROWS: int = 30) -> None:
    """Run every step once, in order. quote() hands a value to the next task as it is
    (Prefect would otherwise walk through it looking for futures)."""
    df = df_task(N_ROWS)
    by_group_task(quote(df))
    matrix = matrix_task(quote(df))
    total_task(quote(matrix))


def main(argv: list[str] | None = None) -> None:
    params = steps.parse_params(argv)
    by_group_flow(**params)


if __name__ == "__main__":
    main()
