"""Run the region_report pipeline in this process, every step in order.

    python region_report.py [--THRESHOLD VALUE] [--N_ORDERS VALUE]

Each artifact is written to $LINEAGE_DATA_DIR/<artifact>.pkl as soon as it is rebuilt,
and the values steps hand on to intermediate/ there. $LINEAGE_DATA_DIR is a local folder
or an fsspec URL such as s3://bucket/prefix (default: data/ next to this file).
"""

import region_report_module as steps


def run(THRESHOLD: float, N_ORDERS: int) -> list[str]:
    """Run every step; return where the artifacts were written."""
    written = []
    orders = steps.orders(N_ORDERS)
    steps.save_value(orders, "intermediate/orders/orders.pkl")
    double_count = steps.double_count(orders)
    written.append(steps.save_value(double_count, "double_count.pkl"))
    stats = steps.big_stats(orders, THRESHOLD)
    written.append(steps.save_value(stats, "big_stats.pkl"))
    report = steps.region_report(orders)
    written.append(steps.save_value(report, "region_report.pkl"))
    return written


def main(argv: list[str] | None = None) -> None:
    params = steps.parse_params(argv)
    for path in run(**params):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
