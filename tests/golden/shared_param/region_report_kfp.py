"""The region_report pipeline for Kubeflow Pipelines (KFP v2), one component per step of
region_report_module.py.

Compile it to region_report_pipeline.yaml, the pipeline spec to upload to a KFP
cluster or submit:

    python region_report_kfp.py [--THRESHOLD VALUE] [--N_ORDERS VALUE]

or run it here, each component in a subprocess of this Python (kfp.local, no
Kubernetes):

    python region_report_kfp.py --run-local [--THRESHOLD VALUE] [--N_ORDERS VALUE]

--NAME VALUE sets a parameter for the run, or, compiling, the spec's default (otherwise
the notebook's value).

Each component carries region_report_module.py (embedded in the spec) and runs one step:
it loads the values it takes from the output artifacts of the steps before it and
pickles each value it returns as an output artifact. Each artifact also goes to
<artifact>.pkl under the pipeline's data_dir parameter, a local folder or an fsspec URL
such as s3://bucket/prefix (default: $LINEAGE_DATA_DIR, else data/ next to this file,
when compiled or run).

The components run in the image $LINEAGE_KFP_IMAGE (default: this Python's version of
the python image), which must hold kfp and what the steps import (requirements.txt):
nothing is installed when they run.
"""

import argparse
import os
import sys

try:
    from kfp import compiler, dsl, local
    from kfp.dsl import Artifact, Input, Output
except ModuleNotFoundError as e:
    raise ModuleNotFoundError(
        "this pipeline needs Kubeflow Pipelines (kfp): "
        "pip install 'notebook-lineage[kubeflow]' (or pip install -r requirements.txt)"
    ) from e

import region_report_module as steps

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, "region_report_pipeline.yaml")  # what compiling writes
IMAGE = os.environ.get("LINEAGE_KFP_IMAGE") or "python:{}.{}".format(*sys.version_info)


def use_steps(data_dir: str):
    """The steps module (the component's copy), its data location set to data_dir."""
    import os

    os.environ["LINEAGE_DATA_DIR"] = data_dir
    import region_report_module

    return region_report_module


def load(artifact: Artifact) -> object:
    """The value a step before this one pickled as its output ``artifact``."""
    import pickle

    with open(artifact.path, "rb") as f:
        return pickle.load(f)


def keep(value: object, artifact: Artifact, *files: str) -> None:
    """Pickle ``value`` as the output ``artifact``, and as each of ``files`` under the
    data location."""
    import pickle

    import region_report_module as steps

    with open(artifact.path, "wb") as f:
        pickle.dump(value, f)
    for name in files:
        print(f"wrote {steps.save_value(value, name)}")


# Every component carries the steps module and installs nothing when it runs.
component = dsl.component(
    base_image=IMAGE,
    embedded_artifact_path=steps.__file__,
    packages_to_install=[],
    install_kfp_package=False,
    additional_funcs=[use_steps, load, keep],
)


# shared by "region report", "big_stats", "double count"
@component
def orders(data_dir: str, N_ORDERS: int, orders: Output[Artifact]) -> None:
    steps = use_steps(data_dir)
    value = steps.orders(N_ORDERS)
    keep(value, orders)


# artifact "double count"
@component
def double_count(
    data_dir: str, orders: Input[Artifact], double_count: Output[Artifact]
) -> None:
    steps = use_steps(data_dir)
    value = steps.double_count(load(orders))
    keep(value, double_count, "double_count.pkl")


# artifact "big_stats"
@component
def big_stats(
    data_dir: str, orders: Input[Artifact], THRESHOLD: float, stats: Output[Artifact]
) -> None:
    steps = use_steps(data_dir)
    value = steps.big_stats(load(orders), THRESHOLD)
    keep(value, stats, "big_stats.pkl")


# artifact "region report"
@component
def region_report(
    data_dir: str, orders: Input[Artifact], report: Output[Artifact]
) -> None:
    steps = use_steps(data_dir)
    value = steps.region_report(load(orders))
    keep(value, report, "region_report.pkl")


@dsl.pipeline(
    name="region-report", description="The region_report pipeline, exported by lineage."
)
def region_report_pipeline(
    THRESHOLD: float = 50.0, N_ORDERS: int = 200, data_dir: str = steps.data_root()
) -> None:
    orders_task = orders(data_dir=data_dir, N_ORDERS=N_ORDERS)
    double_count(data_dir=data_dir, orders=orders_task.outputs["orders"])
    big_stats(
        data_dir=data_dir, orders=orders_task.outputs["orders"], THRESHOLD=THRESHOLD
    )
    region_report(data_dir=data_dir, orders=orders_task.outputs["orders"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="The region_report pipeline, exported by lineage.",
        allow_abbrev=False,
    )
    parser.add_argument(
        "--run-local",
        action="store_true",
        help="run it here with kfp.local, each step in a subprocess (not compile it)",
    )
    options, rest = parser.parse_known_args(argv)
    arguments = steps.parse_params(rest)
    if options.run_local:
        outputs = os.path.join(HERE, "local_outputs")  # KFP keeps the artifacts there
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=outputs)
        region_report_pipeline(**arguments)
    else:
        compiler.Compiler().compile(
            region_report_pipeline, PACKAGE, pipeline_parameters=arguments
        )
        print(f"wrote {PACKAGE}")


if __name__ == "__main__":
    main()
