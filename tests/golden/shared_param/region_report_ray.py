"""Run the region_report pipeline on Ray, one task per step in region_report_module.py.

    python region_report_ray.py [--THRESHOLD VALUE] [--N_ORDERS VALUE]

Connects to the Ray cluster at $RAY_ADDRESS when it is set, otherwise starts a local
Ray for the run. Values move between tasks through Ray's object store; the driver writes
each artifact to $LINEAGE_DATA_DIR/<artifact>.pkl, a local folder or an fsspec URL such
as s3://bucket/prefix (default: data/ next to this file).
"""

import os

import ray

import region_report_module as steps

orders_task = ray.remote(steps.orders)
double_count_task = ray.remote(steps.double_count)
big_stats_task = ray.remote(steps.big_stats)
region_report_task = ray.remote(steps.region_report)


def run(THRESHOLD: float, N_ORDERS: int) -> dict[str, ray.ObjectRef]:
    """Submit every step; return the artifacts' object refs by file name."""
    orders = orders_task.remote(N_ORDERS)
    double_count = double_count_task.remote(orders)
    stats = big_stats_task.remote(orders, THRESHOLD)
    report = region_report_task.remote(orders)
    return {
        "region_report.pkl": report,
        "big_stats.pkl": stats,
        "double_count.pkl": double_count,
    }


def main(argv: list[str] | None = None) -> None:
    params = steps.parse_params(argv)
    # Ray ships the workers this steps module alone; they find the data location
    # (and the files the steps read and write) where this driver does.
    runtime_env = {
        "py_modules": [steps],
        "env_vars": {"LINEAGE_DATA_DIR": steps.data_root()},
    }
    if os.environ.get("RAY_ADDRESS"):
        ray.init(address=os.environ["RAY_ADDRESS"], runtime_env=runtime_env)
    else:
        ray.init(include_dashboard=False, runtime_env=runtime_env)
    refs = run(**params)
    for name, value in zip(refs, ray.get(list(refs.values())), strict=True):
        print(f"wrote {steps.save_value(value, name)}")


if __name__ == "__main__":
    main()
