"""The Ray driver: one Ray task per step; values move between tasks through the object
store, and the driver writes the artifacts."""

from __future__ import annotations

import os

from lineage.emitters import register
from lineage.emitters.model import Step
from lineage.emitters.naming import Namer, string
from lineage.emitters.render import (
    Pipeline,
    assign,
    call,
    flags,
    local_namer,
    render_template,
    signature,
    stage_lines,
)


@register("ray", entry_point="{name}_ray.py", module="ray", distribution="ray", extra="ray")
def render(pipeline: Pipeline) -> dict[str, str]:
    plan = pipeline.plan
    task_names = Namer(
        {"copy", "os", "ray", "steps", "run", "main", *(p.name for p in plan.params)}
    )
    remote = {s.name: task_names(f"{s.name}_task") for s in plan.steps}
    tasks = [_task(step, remote[step.name]) for step in plan.steps]
    plain = [t for t in tasks if "\n" not in t]  # assignments first, then wrapper functions
    tasks_text = "\n".join(plain) + "".join(f"\n\n\n{t}" for t in tasks if "\n" in t)
    names = local_namer(pipeline, "refs", "name", "value", "runtime_env", *remote.values())
    var: dict[tuple[str, str], str] = {}
    lines = stage_lines(pipeline)
    for step in plan.steps:
        args = [var[(home, name)] for name, home in step.inputs] + list(step.params)
        outputs = [names(n) for n in step.outputs]
        var.update({(step.name, n): v for n, v in zip(step.outputs, outputs, strict=True)})
        lines.append(call(assign(outputs, f"{remote[step.name]}.remote"), args, level=1).strip())
    items = [
        f"{string(pipeline.value_file(artifact))}: {var[(home, variable)]}"
        for artifact, home, variable in plan.artifacts
    ]
    path = pipeline.file("{name}_ray.py")
    text = render_template(
        "ray.py.j2",
        path,
        pipeline=pipeline.name,
        module=pipeline.module,
        script=path,
        flags=flags(pipeline),
        params=bool(plan.params or plan.input_files),
        copies=any(s.mutated for s in plan.steps),
        local_modules=[string(os.path.basename(m)) for m in plan.local_modules],
        tasks=tasks_text.lstrip("\n"),
        run_signature=signature("def run", pipeline, "dict[str, ray.ObjectRef]"),
        lines=lines,
        returns=call("return ", items, level=1, brackets="{}").strip(),
    )
    return {path: text}


def _task(step: Step, name: str) -> str:
    """The Ray task for ``step``: the step itself, or, when it changes an input in place, a
    wrapper that hands it a copy (Ray gives tasks read-only views of arrays)."""
    options = f"num_returns={len(step.outputs)}" if len(step.outputs) > 1 else ""
    if not step.mutated:
        remote = f"ray.remote({options})" if options else "ray.remote"
        return f"{name} = {remote}(steps.{step.name})"
    local = Namer({"copy", "steps"})
    args = [(n, local(n)) for n, _ in step.inputs] + [(p, local(p)) for p in step.params]
    passed = [f"copy.deepcopy({v})" if n in step.mutated else v for n, v in args]
    changed = ", ".join(step.mutated)
    return "\n".join(
        [
            f"@ray.remote({options})" if options else "@ray.remote",
            call(f"def {name}", [v for _, v in args], ":"),
            f"    # Ray hands tasks read-only arrays; this step changes {changed} in place.",
            call(f"return steps.{step.name}", passed, level=1),
        ]
    )
