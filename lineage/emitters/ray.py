"""The Ray driver: one Ray task per step; values move between tasks through the object
store, and the driver writes the artifacts."""

from __future__ import annotations

from lineage.emitters import register
from lineage.emitters.naming import Namer, string
from lineage.emitters.render import (
    Pipeline,
    assign,
    call,
    local_namer,
    render_template,
    signature,
)


@register("ray", entry_point="{name}_ray.py", module="ray", distribution="ray", extra="ray")
def render(pipeline: Pipeline) -> dict[str, str]:
    plan = pipeline.plan
    task_names = Namer({"os", "ray", "steps", "run", "main"})
    remote = {s.name: task_names(f"{s.name}_task") for s in plan.steps}
    tasks = []
    for step in plan.steps:
        if len(step.outputs) > 1:
            wrap = f"ray.remote(num_returns={len(step.outputs)})(steps.{step.name})"
        else:
            wrap = f"ray.remote(steps.{step.name})"
        tasks.append(f"{remote[step.name]} = {wrap}")
    names = local_namer(pipeline, "refs", "name", "value", "runtime_env", *remote.values())
    var: dict[tuple[str, str], str] = {}
    lines = []
    for step in plan.steps:
        args = [var[(home, name)] for name, home in step.inputs] + list(step.params)
        outputs = [names(n) for n in step.outputs]
        var.update({(step.name, n): v for n, v in zip(step.outputs, outputs, strict=True)})
        lines.append(call(assign(outputs, f"{remote[step.name]}.remote"), args, level=1).strip())
    items = [
        f"{string(artifact + '.pkl')}: {var[(home, variable)]}"
        for artifact, home, variable in plan.artifacts
    ]
    returns = call("return ", items, level=1, brackets="{}").strip()
    path = pipeline.file("{name}_ray.py")
    text = render_template(
        "ray.py.j2",
        path,
        pipeline=pipeline.name,
        module=pipeline.module,
        script=path,
        flags=[f"--{p.name}" for p in plan.params],
        params=bool(plan.params),
        work_dir=plan.work_dir is not None,
        tasks=tasks,
        run_signature=signature("def run", pipeline, "dict[str, ray.ObjectRef]"),
        lines=lines,
        returns=returns,
    )
    return {path: text}
