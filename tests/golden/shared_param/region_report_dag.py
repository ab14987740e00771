"""Airflow DAG region_report: one task per step in region_report_module.py.

Tasks hand values to each other through files under $LINEAGE_DATA_DIR: a local folder,
or an fsspec URL such as s3://bucket/prefix when workers run on several machines
(default: data/ next to this file). Each artifact ends up in <artifact>.pkl there.
To run the DAG once:

    airflow dags test region_report -c '{"THRESHOLD": 50.0, "N_ORDERS": 200}'
"""

from airflow.sdk import Param, dag, get_current_context, task

import region_report_module as steps


@dag(
    dag_id="region_report",
    schedule=None,
    params={
        "THRESHOLD": Param(50.0, type="number"),
        "N_ORDERS": Param(200, type="integer"),
    },
)
def region_report_dag():
    @task
    def orders() -> None:
        params = get_current_context()["params"]
        orders = steps.orders(params["N_ORDERS"])
        steps.save_value(orders, "intermediate/orders/orders.pkl")

    @task
    def double_count() -> None:
        orders = steps.load_value("intermediate/orders/orders.pkl")
        double_count = steps.double_count(orders)
        steps.save_value(double_count, "double_count.pkl")

    @task
    def big_stats() -> None:
        params = get_current_context()["params"]
        orders = steps.load_value("intermediate/orders/orders.pkl")
        stats = steps.big_stats(orders, float(params["THRESHOLD"]))
        steps.save_value(stats, "big_stats.pkl")

    @task
    def region_report() -> None:
        orders = steps.load_value("intermediate/orders/orders.pkl")
        report = steps.region_report(orders)
        steps.save_value(report, "region_report.pkl")

    orders_task = orders()
    double_count_task = double_count()
    big_stats_task = big_stats()
    region_report_task = region_report()
    orders_task >> [double_count_task, big_stats_task, region_report_task]


region_report_dag()
