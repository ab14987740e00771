"""Airflow DAG by_group: one task per step in by_group_module.py.

Tasks hand values to each other through files under $LINEAGE_DATA_DIR: a local folder,
or an fsspec URL such as s3://bucket/prefix when workers run on several machines
(default: data/ next to this file). Each artifact ends up in <artifact>.pkl there.
To run the DAG once:

    airflow dags test by_group -c '{"N_ROWS": 30}'
"""

from airflow.sdk import Param, dag, get_current_context, task

import by_group_module as steps


@dag(
    dag_id="by_group",
    schedule=None,
    params={
        "N_ROWS": Param(30, type="integer"),
    },
)
def by_group_dag():
    @task
    def df() -> None:
        params = get_current_context()["params"]
        df = steps.df(params["N_ROWS"])
        steps.save_value(df, "intermediate/df/df.pkl")

    @task
    def by_group() -> None:
        df = steps.load_value("intermediate/df/df.pkl")
        by_group = steps.by_group(df)
        steps.save_value(by_group, "by_group.pkl")

    @task
    def matrix() -> None:
        df = steps.load_value("intermediate/df/df.pkl")
        matrix = steps.matrix(df)
        steps.save_value(matrix, "matrix.pkl")

    @task
    def total() -> None:
        matrix = steps.load_value("matrix.pkl")
        total = steps.total(matrix)
        steps.save_value(total, "total.pkl")

    df_task = df()
    by_group_task = by_group()
    matrix_task = matrix()
    total_task = total()
    df_task >> [by_group_task, matrix_task]
    matrix_task >> total_task


by_group_dag()
