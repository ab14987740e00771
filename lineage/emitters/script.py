"""The plain script: ``python P.py`` runs every step in this process, in order. Values
pass between steps in memory; artifacts, and the values steps hand on, are also written to
the data folder (as the Airflow tasks write them)."""

from __future__ import annotations

from lineage.emitters import register
from lineage.emitters.naming import string
from lineage.emitters.render import (
    Pipeline,
    assign,
    call,
    data_file,
    flags,
    local_namer,
    render_template,
    signature,
    stage_lines,
)


@register("script", entry_point="{name}.py")
def render(pipeline: Pipeline) -> dict[str, str]:
    plan = pipeline.plan
    names = local_namer(pipeline, "path")
    written = names("written")
    var: dict[tuple[str, str], str] = {}  # (step, output) -> variable in run()
    lines: list[str] = stage_lines(pipeline)
    for step in plan.steps:
        args = [var[(home, name)] for name, home in step.inputs] + list(step.params)
        outputs = [names(name) for name in step.outputs]
        var.update({(step.name, n): v for n, v in zip(step.outputs, outputs, strict=True)})
        lines.append(call(assign(outputs, f"steps.{step.name}"), args, level=1).strip())
        for artifact, home, variable in plan.artifacts:
            if home == step.name:
                value = var[(home, variable)]
                save = f"steps.save_value({value}, {string(pipeline.value_file(artifact))})"
                lines.append(call(f"{written}.append", [save], level=1).strip())
        for name, value in zip(step.outputs, outputs, strict=True):
            file = data_file(pipeline, step.name, name)
            if file.startswith("intermediate/"):  # kept too, as the DAG keeps them
                save_args = [value, string(file)]
                lines.append(call("steps.save_value", save_args, level=1).strip())
    path = pipeline.file("{name}.py")
    text = render_template(
        "script.py.j2",
        path,
        pipeline=pipeline.name,
        module=pipeline.module,
        flags=flags(pipeline),
        params=bool(plan.params or plan.input_files),
        inputs=bool(plan.input_files),
        run_signature=signature("def run", pipeline, "list[str]"),
        written=written,
        lines=lines,
    )
    return {path: text}
