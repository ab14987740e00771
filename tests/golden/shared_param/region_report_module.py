"""Steps of the region_report pipeline, exported by lineage from a notebook session.

One function per artifact, and one per step that several artifacts share: each takes
the values it needs and returns the values it makes. The entry points run them in order:
region_report.py here, the Airflow DAG or the Ray driver. Values are kept under
$LINEAGE_DATA_DIR, a local folder or an fsspec URL such as s3://bucket/prefix (default:
data/ next to this file).
"""

import argparse
import math
import os
import pickle
import random
import statistics
from collections import Counter
from pathlib import Path

# Pipeline parameters and their defaults: override them with --NAME VALUE.
PARAMS = {
    "THRESHOLD": 50.0,
    "N_ORDERS": 200,
}


def parse_params(argv: list[str] | None = None) -> dict[str, object]:
    """PARAMS, with the values given on the command line (--NAME VALUE) instead."""
    parser = argparse.ArgumentParser(description="Run the region_report pipeline.")
    parser.add_argument("--THRESHOLD", type=float, default=PARAMS["THRESHOLD"])
    parser.add_argument("--N_ORDERS", type=int, default=PARAMS["N_ORDERS"])
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


SEED = 7


def price(i):
    return round(5 + (i * 37 % 101) * 0.9, 2)


# shared by "region report", "big_stats", "double count"
def orders(N_ORDERS):
    random.seed(SEED)
    orders = [
        {
            "id": i,
            "amount": price(i) * random.randint(1, 3),
            "region": random.choice("NSEW"),
        }
        for i in range(N_ORDERS)
    ]
    return orders


# artifact "double count"
def double_count(orders):
    double_count = len(orders) * 2
    return double_count


# artifact "big_stats"
def big_stats(orders, THRESHOLD):
    flags = {o["id"]: o["amount"] >= THRESHOLD for o in orders}

    big = [o for o in orders if flags[o["id"]]]
    stats = {
        "n": len(big),
        "log_total": round(math.log(sum(o["amount"] for o in big)), 6),
        "median": statistics.median(o["amount"] for o in big),
    }
    return stats


# artifact "region report"
def region_report(orders):
    by_region = Counter()
    for o in orders:
        by_region[o["region"]] += o["amount"]

    report = {r: round(v, 2) for r, v in sorted(by_region.items())}
    return report


def run(
    THRESHOLD: float = PARAMS["THRESHOLD"],
    N_ORDERS: int = PARAMS["N_ORDERS"],
    save: bool = False,
) -> dict[str, object]:
    """Run every step in order, in this process; return the artifacts by name.

    save: also write each artifact, and each value a step hands on, to the data location
    as soon as it is made (as the script does).
    """
    keep = save_value if save else skip_value
    orders_2 = orders(N_ORDERS)
    keep(orders_2, "intermediate/orders/orders.pkl")
    double_count_2 = double_count(orders_2)
    keep(double_count_2, "double_count.pkl")
    stats = big_stats(orders_2, THRESHOLD)
    keep(stats, "big_stats.pkl")
    report = region_report(orders_2)
    keep(report, "region_report.pkl")
    return {"region report": report, "big_stats": stats, "double count": double_count_2}
