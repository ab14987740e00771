"""The by_group pipeline as Dagster assets, one per step of its steps module.

From this folder (the assets import by_group_module), open the UI with

    dagster dev -f by_group_dagster.py

or materialize every asset once with

    dagster asset materialize -f by_group_dagster.py --select '*'

The run's config sets the "params" resource once for every asset (defaults: the
notebook's values), in the UI's launchpad or with

    dagster asset materialize -f by_group_dagster.py --select '*' \\
        --config-json '{"resources": {"params": {"config": {"NAME": VALUE}}}}'

The IO manager pickles each asset's value under $LINEAGE_DATA_DIR, a local folder or an
fsspec URL such as s3://bucket/prefix (default: data/ next to this file): each
artifact in <artifact>.pkl, the values steps hand on in intermediate/<step>/<name>.pkl.
"""

try:
    import dagster as dg
except ModuleNotFoundError as e:
    raise ModuleNotFoundError(
        "these assets need Dagster: pip install 'notebook-lineage[dagster]' "
        "(or pip install -r requirements.txt)"
    ) from e

import by_group_module as steps

# Where the IO manager keeps each asset's value, under the data location.
FILES = {
    "df": ["intermediate/df/df.pkl"],
    "by_group": ["by_group.pkl"],
    "matrix": ["matrix.pkl"],
    "total": ["total.pkl"],
}


class DataLocation(dg.IOManager):
    """Pickles each asset's value to its files under the data location (the files the
    other entry points write), and loads it from there."""

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        for name in FILES[context.asset_key.to_user_string()]:
            context.log.info(f"wrote {steps.save_value(obj, name)}")

    def load_input(self, context: dg.InputContext) -> object:
        return steps.load_value(FILES[context.asset_key.to_user_string()][0])


class ByGroupParams(dg.ConfigurableResource):
    """The pipeline's parameters, set once per run for every asset."""

    N_ROWS: int = 30


# shared by "by_group", "matrix", "total"
@dg.asset
def df(params: ByGroupParams):
    return steps.df(params.N_ROWS)


# artifact "by_group"
@dg.asset
def by_group(df):
    return steps.by_group(df)


# artifact "matrix", also needed by "total"
@dg.asset
def matrix(df):
    return steps.matrix(df)


# artifact "total"
@dg.asset
def total(matrix):
    return steps.total(matrix)


defs = dg.Definitions(
    assets=[df, by_group, matrix, total],
    resources={
        "io_manager": DataLocation(),
        "params": ByGroupParams(),
    },
)
