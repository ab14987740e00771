"""The by_group pipeline for Kubeflow Pipelines (KFP v2), one component per step of
by_group_module.py.

Compile it to by_group_pipeline.yaml, the pipeline spec to upload to a KFP cluster or
submit:

    python by_group_kfp.py [--N_ROWS VALUE]

or run it here, each component in a subprocess of this Python (kfp.local, no
Kubernetes):

    python by_group_kfp.py --run-local [--N_ROWS VALUE]

--NAME VALUE sets a parameter for the run, or, compiling, the spec's default (otherwise
the notebook's value).

Each component carries by_group_module.py (embedded in the spec) and runs one step: it
loads the values it takes from the output artifacts of the steps before it and pickles
each value it returns as an output artifact. Each artifact also goes to <artifact>.pkl
under the pipeline's data_dir parameter, a local folder or an fsspec URL such as
s3://bucket/prefix (default: $LINEAGE_DATA_DIR, else data/ next to this file, when
compiled or run).

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

import by_group_module as steps

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, "by_group_pipeline.yaml")  # what compiling writes
IMAGE = os.environ.get("LINEAGE_KFP_IMAGE") or "python:{}.{}".format(*sys.version_info)


def use_steps(data_dir: str):
    """The steps module (the component's copy), its data location set to data_dir."""
    import os

    os.environ["LINEAGE_DATA_DIR"] = data_dir
    import by_group_module

    return by_group_module


def load(artifact: Artifact) -> object:
    """The value a step before this one pickled as its output ``artifact``."""
    import pickle

    with open(artifact.path, "rb") as f:
        return pickle.load(f)


def keep(value: object, artifact: Artifact, *files: str) -> None:
    """Pickle ``value`` as the output ``artifact``, and as each of ``files`` under the
    data location."""
    import pickle

    import by_group_module as steps

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


# shared by "by_group", "matrix", "total"
@component
def df(data_dir: str, N_ROWS: int, df: Output[Artifact]) -> None:
    steps = use_steps(data_dir)
    value = steps.df(N_ROWS)
    keep(value, df)


# artifact "by_group"
@component
def by_group(data_dir: str, df: Input[Artifact], by_group: Output[Artifact]) -> None:
    steps = use_steps(data_dir)
    value = steps.by_group(load(df))
    keep(value, by_group, "by_group.pkl")


# artifact "matrix", also needed by "total"
@component
def matrix(data_dir: str, df: Input[Artifact], matrix: Output[Artifact]) -> None:
    steps = use_steps(data_dir)
    value = steps.matrix(load(df))
    keep(value, matrix, "matrix.pkl")


# artifact "total"
@component
def total(data_dir: str, matrix: Input[Artifact], total: Output[Artifact]) -> None:
    steps = use_steps(data_dir)
    value = steps.total(load(matrix))
    keep(value, total, "total.pkl")


@dsl.pipeline(
    name="by-group", description="The by_group pipeline, exported by lineage."
)
def by_group_pipeline(N_ROWS: int = 30, data_dir: str = steps.data_root()) -> None:
    df_task = df(data_dir=data_dir, N_ROWS=N_ROWS)
    by_group(data_dir=data_dir, df=df_task.outputs["df"])
    matrix_task = matrix(data_dir=data_dir, df=df_task.outputs["df"])
    total(data_dir=data_dir, matrix=matrix_task.outputs["matrix"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="The by_group pipeline, exported by lineage.", allow_abbrev=False
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
        by_group_pipeline(**arguments)
    else:
        compiler.Compiler().compile(
            by_group_pipeline, PACKAGE, pipeline_parameters=arguments
        )
        print(f"wrote {PACKAGE}")


if __name__ == "__main__":
    main()
