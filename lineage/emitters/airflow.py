"""The Airflow 3 DAG: one TaskFlow task per step (``airflow.sdk``), values in files between
tasks, pipeline parameters as DAG params."""

from __future__ import annotations

import json

from lineage.emitters import register
from lineage.emitters.naming import Namer, literal, string
from lineage.emitters.render import (
    Pipeline,
    assign,
    call,
    data_file,
    local_namer,
    render_template,
)


@register(
    "airflow",
    entry_point="{name}_dag.py",
    module="airflow",
    distribution="apache-airflow",
    extra="airflow",
)
def render(pipeline: Pipeline) -> dict[str, str]:
    plan = pipeline.plan
    tasks = []
    for step in plan.steps:
        names = local_namer(pipeline, "params")
        lines = []
        args = []
        for name, home in step.inputs:
            var = names(name)
            args.append(var)
            load = [string(data_file(pipeline, home, name))]
            lines.append(call(f"{var} = steps.load_value", load, level=2).strip())
        for param in step.params:
            p = next(p for p in plan.params if p.name == param)
            value = f"params[{string(param)}]"
            args.append(f"{p.coerce}({value})" if p.coerce else value)
        outputs = [names(n) for n in step.outputs]
        lines.append(call(assign(outputs, f"steps.{step.name}"), args, level=2).strip())
        for name, var in zip(step.outputs, outputs, strict=True):
            files = [
                pipeline.value_file(a)
                for a, home, v in plan.artifacts
                if home == step.name and v == name
            ]
            for file in files or [data_file(pipeline, step.name, name)]:
                lines.append(call("steps.save_value", [var, string(file)], level=2).strip())
        tasks.append({"name": step.name, "params": bool(step.params), "lines": lines})
    dag_names = Namer({s.name for s in plan.steps} | {"dag", "task", "steps", "os"})
    dag_function = dag_names(f"{pipeline.name}_dag")
    stage = dag_names("stage_inputs") if plan.input_files else None
    if stage:  # first, copy the input files to the data location
        lines = ['steps.stage_inputs(params["input_dir"])']
        tasks.insert(0, {"name": stage, "params": True, "lines": lines})
    wiring = _wiring(pipeline, dag_names, stage)
    params = [
        {"key": string(p.name), "param": _param(p.json_default, p.schema_type)} for p in plan.params
    ]
    if stage:
        params.append({"key": '"input_dir"', "param": 'Param(steps.INPUT_DIR, type="string")'})
    conf = json.dumps({p.name: p.json_default for p in plan.params}).replace("\\", "\\\\")
    sdk = ["dag", "task"] + (["Param", "get_current_context"] if params else [])
    path = pipeline.file("{name}_dag.py")
    text = render_template(
        "dag.py.j2",
        path,
        dag_id=pipeline.name,
        dag_id_literal=string(pipeline.name),
        module=pipeline.module,
        sdk_imports=sorted(sdk, key=lambda n: (n[0].islower(), n)),
        params=params,
        conf=conf if plan.params else "",
        dag_function=dag_function,
        tasks=tasks,
        wiring=wiring,
    )
    return {path: text}


def _param(default: object, schema_type: str | None) -> str:
    if schema_type is None:
        return f"Param({literal(default)})"
    return f"Param({literal(default)}, type={string(schema_type)})"


def _wiring(pipeline: Pipeline, names: Namer, stage: str | None) -> list[str]:
    """Instantiate the tasks, then ``upstream >> downstream`` for each dependency; the
    ``stage`` task, if any, before every step that follows no other."""
    steps = pipeline.plan.steps
    after = {s.name: s.after or ((stage,) if stage else ()) for s in steps}
    order = ([stage] if stage else []) + [s.name for s in steps]
    linked = {n for n in order if after.get(n)} | {a for n in order for a in after.get(n, ())}
    var = {n: names(f"{n}_task") for n in order if n in linked}
    lines = [f"{var[n]} = {n}()" if n in var else f"{n}()" for n in order]
    for name in order:
        downstream = [var[n] for n in order if name in after.get(n, ())]
        if len(downstream) == 1:
            lines.append(f"{var[name]} >> {downstream[0]}")
        elif downstream:
            lines.append(call(f"{var[name]} >> ", downstream, level=1, brackets="[]").strip())
    return lines
