"""The region_report pipeline as Dagster assets, one per step of its steps module.

From this folder (the assets import region_report_module), open the UI with

    dagster dev -f region_report_dagster.py

or materialize every asset once with

    dagster asset materialize -f region_report_dagster.py --select '*'

The run's config sets the "params" resource once for every asset (defaults: the
notebook's values), in the UI's launchpad or with

    dagster asset materialize -f region_report_dagster.py --select '*' \\
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

import region_report_module as steps

# Where the IO manager keeps each asset's value, under the data location.
FILES = {
    "orders": ["intermediate/orders/orders.pkl"],
    "double_count": ["double_count.pkl"],
    "big_stats": ["big_stats.pkl"],
    "region_report": ["region_report.pkl"],
}


class DataLocation(dg.IOManager):
    """Pickles each asset's value to its files under the data location (the files the
    other entry points write), and loads it from there."""

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        for name in FILES[context.asset_key.to_user_string()]:
            context.log.info(f"wrote {steps.save_value(obj, name)}")

    def load_input(self, context: dg.InputContext) -> object:
        return steps.load_value(FILES[context.asset_key.to_user_string()][0])


class RegionReportParams(dg.ConfigurableResource):
    """The pipeline's parameters, set once per run for every asset."""

    THRESHOLD: float = 50.0
    N_ORDERS: int = 200


# shared by "region report", "big_stats", "double count"
@dg.asset
def orders(params: RegionReportParams):
    return steps.orders(params.N_ORDERS)


# artifact "double count"
@dg.asset
def double_count(orders):
    return steps.double_count(orders)


# artifact "big_stats"
@dg.asset
def big_stats(orders, params: RegionReportParams):
    return steps.big_stats(orders, params.THRESHOLD)


# artifact "region report"
@dg.asset
def region_report(orders):
    return steps.region_report(orders)


defs = dg.Definitions(
    assets=[orders, double_count, big_stats, region_report],
    resources={
        "io_manager": DataLocation(),
        "params": RegionReportParams(),
    },
)
