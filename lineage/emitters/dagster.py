"""Dagster software-defined assets: one asset per step (a multi-asset when it returns several
values), the parameters as the config of a resource set once per run, and an IO manager that
pickles each value where the other targets keep it."""

from __future__ import annotations

from lineage.emitters import register
from lineage.emitters.model import Step
from lineage.emitters.naming import Namer, literal, string
from lineage.emitters.params import Param
from lineage.emitters.render import (
    Pipeline,
    call,
    comment,
    data_file,
    local_namer,
    render_template,
)

# What a Dagster ConfigurableResource (a pydantic model) already defines (dagster 1.13): a
# parameter of that name is a field under another name, with the parameter's as its alias.
_RESOURCE_ATTRIBUTES = frozenset(
    "configure_at_launch construct copy create_resource dict from_orm from_resource_context "
    "from_resource_context_cm get_resource_context get_resource_definition json "
    "nested_resources parse_file parse_obj parse_raw process_config_and_initialize "
    "process_config_and_initialize_cm schema schema_json setup_for_execution "
    "teardown_after_execution to_config_schema to_fields_dict update_forward_refs validate "
    "with_replaced_resource_context with_resource_context yield_for_execution".split()
)
_FIELD_TYPES = {bool: "bool", int: "int", float: "float", str: "str", dict: "dict"}
_FILE_NAMES = {"dg", "steps", "FILES", "DataLocation", "defs", "Any", "pydantic"}


@register(
    "dagster",
    entry_point="{name}_dagster.py",
    module="dagster",
    distribution="dagster",
    extra="dagster",
)
def render(pipeline: Pipeline) -> dict[str, str]:
    plan = pipeline.plan
    functions = Namer(_FILE_NAMES)
    params_class = functions(_camel(pipeline.name) + "Params") if _configured(pipeline) else None
    stage = functions("input_files") if plan.input_files else None
    fn = {s.name: functions(s.name) for s in plan.steps}
    keys = _asset_keys(plan.steps, fn)
    fields = _fields(plan.params)
    assets = [_asset(pipeline, s, fn, keys, fields, params_class, stage) for s in plan.steps]
    files = {
        keys[(s.name, name)]: _files(pipeline, s.name, name)
        for s in plan.steps
        for name in s.outputs
    }
    path = pipeline.file("{name}_dagster.py")
    text = render_template(
        "dagster.py.j2",
        path,
        pipeline=pipeline.name,
        module=pipeline.module,
        script=path,
        conf='"NAME": VALUE' if plan.params else '"input_dir": "DIR"',
        any_type=any(p.default is None for p in plan.params),
        aliases=any(f != p for p, f in fields.items()),
        files=[
            call(f"{string(k)}: ", list(map(string, v)), ",", 1, "[]").strip()
            for k, v in files.items()
        ],
        params_class=params_class,
        fields=[_field(p, fields[p.name]) for p in plan.params],
        stage=stage,
        assets=assets,
        definitions=call("assets=", [a for a in [stage, *fn.values()] if a], ",", 1, "[]"),
    )
    return {path: text}


def _configured(pipeline: Pipeline) -> bool:
    return bool(pipeline.plan.params or pipeline.plan.input_files)


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)


def _asset_keys(steps: tuple[Step, ...], fn: dict[str, str]) -> dict[tuple[str, str], str]:
    """(step, output) -> asset key: the function's name for a step returning one value (or
    for the output the step is named after), else the output's name, made unique."""
    taken = Namer(fn.values())
    keys: dict[tuple[str, str], str] = {}
    for step in steps:
        for name in step.outputs:
            own = len(step.outputs) == 1 or name == step.name
            keys[(step.name, name)] = fn[step.name] if own else taken(name)
    return keys


def _files(pipeline: Pipeline, step: str, name: str) -> list[str]:
    """The files under the data location that keep output ``name`` of ``step``: each
    artifact's it is the value of, else an intermediate file."""
    plan = pipeline.plan
    files = [pipeline.value_file(a) for a, home, v in plan.artifacts if (home, v) == (step, name)]
    return files or [data_file(pipeline, step, name)]


def _fields(params: tuple[Param, ...]) -> dict[str, str]:
    """Parameter -> the resource's field holding it: its own name unless that is private or
    one the resource already has."""
    names = Namer(_RESOURCE_ATTRIBUTES | {p.name for p in params} | {"input_dir"})
    return {p.name: p.name if _plain(p.name) else names(f"param_{p.name}") for p in params}


def _plain(name: str) -> bool:
    return (
        name.isascii()
        and name[:1].isalpha()
        and not name.startswith("model_")
        and name not in _RESOURCE_ATTRIBUTES
        and name != "input_dir"
    )


def _field(param: Param, field: str) -> str:
    t = type(param.default)
    kind = _FIELD_TYPES.get(t, "list" if t in (list, tuple, set, frozenset) else "Any")
    default = literal(param.json_default)
    if field != param.name:
        args = [f"default={default}", f"alias={string(param.name)}"]
        return call(f"{field}: {kind} = pydantic.Field", args, level=1).strip()
    return f"{field}: {kind} = {default}"


def _asset(
    pipeline: Pipeline,
    step: Step,
    fn: dict[str, str],
    keys: dict[tuple[str, str], str],
    fields: dict[str, str],
    params_class: str | None,
    stage: str | None,
) -> dict[str, object]:
    """The decorator, signature and body of ``step``'s asset."""
    names = local_namer(pipeline, "params", "context", "dg")
    args, ins = [], []
    for name, home in step.inputs:
        arg, key = names(name), keys[(home, name)]
        args.append(arg)
        if arg != key:
            ins.append(f"{string(arg)}: dg.AssetIn({string(key)})")
    given = {home for _, home in step.inputs}
    deps = [fn[a] for a in step.after if a not in given]
    if stage and not step.after:
        deps.append(stage)
    options = []
    if ins:
        options.append(call("ins=", ins, brackets="{}", level=1).strip())
    if deps:
        options.append(call("deps=", deps, brackets="[]", level=1).strip())
    if len(step.outputs) > 1:
        outs = [f"{string(keys[(step.name, n)])}: dg.AssetOut()" for n in step.outputs]
        options.insert(0, call("outs=", outs, brackets="{}", level=1).strip())
        decorator = call("@dg.multi_asset", options)
    else:
        decorator = call("@dg.asset", options) if options else "@dg.asset"
    values = list(args)
    for p in (next(p for p in pipeline.plan.params if p.name == n) for n in step.params):
        value = f"params.{fields[p.name]}"
        values.append(f"{p.coerce}({value})" if p.coerce and p.kind == "json" else value)
    if step.params:
        args.append(f"params: {params_class}")
    returns = " -> None" if not step.outputs else ""
    run = call(f"{'return ' if step.outputs else ''}steps.{step.name}", values, level=1)
    return {
        "comment": comment(step),
        "decorator": decorator,
        "signature": call(f"def {fn[step.name]}", args, f"{returns}:"),
        "body": run,
    }
