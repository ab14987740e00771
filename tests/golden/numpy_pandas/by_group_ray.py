"""Run the by_group pipeline on Ray, one task per step in by_group_module.py.

    python by_group_ray.py [--N_ROWS VALUE]

Connects to the Ray cluster at $RAY_ADDRESS when it is set, otherwise starts a local
Ray for the run. Values move between tasks through Ray's object store; the driver writes
each artifact to $LINEAGE_DATA_DIR/<artifact>.pkl, a local folder or an fsspec URL such
as s3://bucket/prefix (default: data/ next to this file).
"""

import os

import ray

import by_group_module as steps

df_task = ray.remote(steps.df)
by_group_task = ray.remote(steps.by_group)
matrix_task = ray.remote(steps.matrix)
total_task = ray.remote(steps.total)


def run(N_ROWS: int) -> dict[str, ray.ObjectRef]:
    """Submit every step; return the artifacts' object refs by file name."""
    df = df_task.remote(N_ROWS)
    by_group = by_group_task.remote(df)
    matrix = matrix_task.remote(df)
    total = total_task.remote(matrix)
    return {"by_group.pkl": by_group, "matrix.pkl": matrix, "total.pkl": total}


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
