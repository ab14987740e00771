"""Run the region_report pipeline in this process, every step in order.

    python region_report.py [--THRESHOLD VALUE] [--N_ORDERS VALUE]

Each artifact is written to $LINEAGE_DATA_DIR/<artifact>.pkl as soon as it is rebuilt,
and the values steps hand on to intermediate/ there. $LINEAGE_DATA_DIR is a local folder
or an fsspec URL such as s3://bucket/prefix (default: data/ next to this file).
"""

import region_report_module as steps

# where each artifact is written, under the data location
ARTIFACT_FILES = ["double_count.pkl", "big_stats.pkl", "region_report.pkl"]


def run(THRESHOLD: float, N_ORDERS: int) -> list[str]:
    """Run every step (steps.run), writing each value as soon as it is made; return
    where the artifacts were written."""
    steps.run(THRESHOLD=THRESHOLD, N_ORDERS=N_ORDERS, save=True)
    return [steps.data_path(name) for name in ARTIFACT_FILES]


def main(argv: list[str] | None = None) -> None:
    params = steps.parse_params(argv)
    for path in run(**params):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
