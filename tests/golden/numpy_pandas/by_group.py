"""Run the by_group pipeline in this process, every step in order.

    python by_group.py [--N_ROWS VALUE]

Each artifact is written to $LINEAGE_DATA_DIR/<artifact>.pkl as soon as it is rebuilt,
and the values steps hand on to intermediate/ there. $LINEAGE_DATA_DIR is a local folder
or an fsspec URL such as s3://bucket/prefix (default: data/ next to this file).
"""

import by_group_module as steps

# where each artifact is written, under the data location
ARTIFACT_FILES = ["by_group.pkl", "matrix.pkl", "total.pkl"]


def run(N_ROWS: int) -> list[str]:
    """Run every step (steps.run), writing each value as soon as it is made; return
    where the artifacts were written."""
    steps.run(N_ROWS=N_ROWS, save=True)
    return [steps.data_path(name) for name in ARTIFACT_FILES]


def main(argv: list[str] | None = None) -> None:
    params = steps.parse_params(argv)
    for path in run(**params):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
