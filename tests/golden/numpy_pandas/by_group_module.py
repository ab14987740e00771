"""Steps of the by_group pipeline, exported by lineage from a notebook session.

One function per artifact, and one per step that several artifacts share: each takes
the values it needs and returns the values it makes. The entry points run them in order:
by_group.py here, the Airflow DAG or the Ray driver. Values are kept under
$LINEAGE_DATA_DIR, a local folder or an fsspec URL such as s3://bucket/prefix (default:
data/ next to this file).
"""

import argparse
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

# Pipeline parameters and their defaults: override them with --NAME VALUE.
PARAMS = {
    "N_ROWS": 30,
}


def parse_params(argv: list[str] | None = None) -> dict[str, object]:
    """PARAMS, with the values given on the command line (--NAME VALUE) instead."""
    parser = argparse.ArgumentParser(description="Run the by_group pipeline.")
    parser.add_argument("--N_ROWS", type=int, default=PARAMS["N_ROWS"])
    return vars(parser.parse_args(argv))


def data_root() -> str:
    """The data location: $LINEAGE_DATA_DIR (default: data/ next to this file)."""
    default = Path(__file__).resolve().parent / "data"
    return (os.environ.get("LINEAGE_DATA_DIR") or str(default)).rstrip("/")


def data_path(name: str) -> str:
    """Where the value saved as ``name`` is kept."""
    return f"{data_root()}/{name}"


def open_data(name: str, mode: str):
    path = data_path(name)
    if "://" in path:
        import fsspec  # only object storage needs it

        return fsspec.open(path, mode)
    if "w" in mode:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return open(path, mode)


def save_value(value: object, name: str) -> str:
    """Pickle ``value`` as ``name``; return where it went."""
    try:
        data = pickle.dumps(value)
    except Exception as e:  # a generator, an open file: write nothing rather than half
        kind = type(value).__name__
        raise TypeError(f"cannot save {name}: a {kind} cannot be pickled ({e})") from e
    with open_data(name, "wb") as f:
        f.write(data)
    return data_path(name)


def load_value(name: str) -> object:
    """The value saved as ``name``."""
    with open_data(name, "rb") as f:
        return pickle.load(f)


def skip_value(value: object, name: str) -> None:
    """What run() does with a value it does not save: nothing."""


# shared by "by_group", "matrix", "total"
def df(N_ROWS):
    rng = np.random.default_rng(0)
    x = rng.normal(size=N_ROWS)
    g = rng.integers(0, 3, size=N_ROWS)
    df = pd.DataFrame({"x": x, "g": g})

    df["y"] = df["x"] * 2 + df["g"]
    return df


# artifact "by_group"
def by_group(df):
    by_group = df.groupby("g")["y"].mean()
    return by_group


# artifact "matrix", also needed by "total"
def matrix(df):
    matrix = df[["x", "y"]].to_numpy()
    return matrix


# artifact "total"
def total(matrix):
    total = float(matrix.sum())
    return total


def run(N_ROWS: int = PARAMS["N_ROWS"], save: bool = False) -> dict[str, object]:
    """Run every step in order, in this process; return the artifacts by name.

    save: also write each artifact, and each value a step hands on, to the data location
    as soon as it is made (as the script does).
    """
    keep = save_value if save else skip_value
    df_2 = df(N_ROWS)
    keep(df_2, "intermediate/df/df.pkl")
    by_group_2 = by_group(df_2)
    keep(by_group_2, "by_group.pkl")
    matrix_2 = matrix(df_2)
    keep(matrix_2, "matrix.pkl")
    total_2 = total(matrix_2)
    keep(total_2, "total.pkl")
    return {"by_group": by_group_2, "matrix": matrix_2, "total": total_2}
