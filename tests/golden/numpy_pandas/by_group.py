"""Run the by_group pipeline in this process, every step in order.

    python by_group.py [--N_ROWS VALUE]

Each artifact is written to $LINEAGE_DATA_DIR/<artifact>.pkl as soon as it is rebuilt,
and the values steps hand on to intermediate/ there. $LINEAGE_DATA_DIR is a local folder
or an fsspec URL such as s3://bucket/prefix (default: data/ next to this file).
"""

import by_group_module as steps


def run(N_ROWS: int) -> list[str]:
    """Run every step; return where the artifacts were written."""
    written = []
    df = steps.df(N_ROWS)
    steps.save_value(df, "intermediate/df/df.pkl")
    by_group = steps.by_group(df)
    written.append(steps.save_value(by_group, "by_group.pkl"))
    matrix = steps.matrix(df)
    written.append(steps.save_value(matrix, "matrix.pkl"))
    total = steps.total(matrix)
    written.append(steps.save_value(total, "total.pkl"))
    return written


def main(argv: list[str] | None = None) -> None:
    params = steps.parse_params(argv)
    for path in run(**params):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
