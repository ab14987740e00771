"""The Prefect 3 flow: one task per step, called in order inside one flow whose parameters
are the pipeline's; values pass between tasks in memory, and each task writes the artifacts
it rebuilds to the data location."""

from __future__ import annotations

import math

from lineage.emitters import register
from lineage.emitters.model import Step
from lineage.emitters.naming import Namer, literal, string
from lineage.emitters.params import Param
from lineage.emitters.render import (
    Pipeline,
    assign,
    call,
    comment,
    flags,
    local_namer,
    render_template,
)

# Names the flow file itself uses; Flow.__call__ takes return_state and wait_for itself.
_FILE_NAMES = {"flow", "task", "quote", "NO_CACHE", "get_run_logger", "steps", "save", "main"}
_CALL_KEYWORDS = {"return_state", "wait_for"}


@register(
    "prefect",
    entry_point="{name}_flow.py",
    module="prefect",
    distribution="prefect",
    extra="prefect",
)
def render(pipeline: Pipeline) -> dict[str, str]:
    plan = pipeline.plan
    functions = Namer(_FILE_NAMES | {p.name for p in plan.params})
    flow_function = functions(f"{pipeline.name}_flow")
    stage = functions("stage_inputs_task") if plan.input_files else None
    fn = {s.name: functions(f"{s.name}_task") for s in plan.steps}
    args = dict(_flow_args(plan.params, functions.taken, bool(stage)))
    params = {p.name: p for p in plan.params}
    arguments = [_argument(params.get(k), v) for k, v in args.items()]
    tasks = ([_stage(stage)] if stage else []) + [
        _task(pipeline, s, fn[s.name], args) for s in plan.steps
    ]
    path = pipeline.file("{name}_flow.py")
    text = render_template(
        "prefect.py.j2",
        path,
        pipeline=pipeline.name,
        module=pipeline.module,
        script=path,
        flow_function=flow_function,
        flags=flags(pipeline),
        params=bool(args),
        tasks=tasks,
        handoff=any(s.inputs for s in plan.steps),
        decorator=f"@flow(name={string(pipeline.name)})",
        signature=call(f"def {flow_function}", arguments, " -> None:"),
        lines=_flow_lines(pipeline, fn, args, stage, functions.taken),
        run=_main_call(flow_function, args),
    )
    return {path: text}


def _flow_args(params: tuple[Param, ...], taken: set[str], inputs: bool) -> list[tuple[str, str]]:
    """(parameter, flow argument) pairs: each pipeline parameter under its own name unless
    Prefect or this file cannot take it (pydantic refuses a leading underscore), then the
    input location when the steps read files."""
    names = Namer(taken | _CALL_KEYWORDS | {p.name for p in params})
    out = []
    for p in params:
        usable = not p.name.startswith("_") and p.name not in _CALL_KEYWORDS | _FILE_NAMES
        out.append((p.name, p.name if usable else names(f"param_{p.name.lstrip('_')}")))
    return out + ([("input_dir", "input_dir")] if inputs else [])


def _argument(param: Param | None, name: str) -> str:
    """``NAME: type = default`` in the flow's signature. A mutable default (or a computed
    one) is the steps module's value: a list written as the default would be one object
    shared by every call."""
    if param is None:
        return f"{name}: str = steps.INPUT_DIR"
    value = param.default
    kind = "object" if value is None else type(value).__name__
    mutable = isinstance(value, (list, dict, set, frozenset))
    if mutable or (isinstance(value, float) and not math.isfinite(value)):
        return f"{name}: {kind} = steps.PARAMS[{string(param.name)}]"
    return f"{name}: {kind} = {literal(value)}"


def _task(pipeline: Pipeline, step: Step, function: str, params: dict[str, str]) -> dict[str, str]:
    """The task for ``step``: it calls the step and writes the artifacts it rebuilds."""
    names = local_namer(pipeline, *_FILE_NAMES, *params.values())
    args = [names(n) for n, _ in step.inputs] + [params[p] for p in step.params]
    run = f"steps.{step.name}"
    saves = [
        (variable, pipeline.value_file(artifact))
        for artifact, home, variable in pipeline.plan.artifacts
        if home == step.name
    ]
    if not saves:
        lines = [call(f"return {run}" if step.outputs else run, args, level=1)]
    else:
        outputs = {n: names(n) for n in step.outputs}
        lines = [call(assign(list(outputs.values()), run), args, level=1)]
        lines += [f"    save({outputs[v]}, {string(file)})" for v, file in saves]
        lines.append(f"    return {', '.join(outputs.values())}")
    returns = "" if step.outputs else " -> None"
    return {
        "comment": comment(step),
        "decorator": f"@task(name={string(step.name)}, cache_policy=NO_CACHE)",
        "signature": call(f"def {function}", args, f"{returns}:"),
        "body": "\n".join(lines),
    }


def _stage(function: str) -> dict[str, str]:
    return {
        "comment": "# the input files, copied to files/ under the data location",
        "decorator": '@task(name="stage_inputs", cache_policy=NO_CACHE)',
        "signature": f"def {function}(input_dir: str) -> None:",
        "body": "    steps.stage_inputs(input_dir)",
    }


def _flow_lines(
    pipeline: Pipeline,
    fn: dict[str, str],
    args: dict[str, str],
    stage: str | None,
    taken: set[str],
) -> list[str]:
    """The flow's body: each task called in the steps' order, its values handed on."""
    steps = pipeline.plan.steps
    names = local_namer(pipeline, *taken, *args.values())
    used = {(home, name) for s in steps for name, home in s.inputs}
    lines = [f"{stage}(input_dir)"] if stage else []
    var: dict[tuple[str, str], str] = {}
    for step in steps:
        values = [f"quote({var[(home, name)]})" for name, home in step.inputs]
        values += [args[p] for p in step.params]
        outputs = []
        if any((step.name, n) in used for n in step.outputs):
            outputs = [names(n) if (step.name, n) in used else "_" for n in step.outputs]
            var.update({(step.name, n): v for n, v in zip(step.outputs, outputs, strict=True)})
        lines.append(call(assign(outputs, fn[step.name]), values, level=1).strip())
    return lines


def _main_call(function: str, args: dict[str, str]) -> str:
    """How main() calls the flow with the parsed command line."""
    if all(k == v for k, v in args.items()):
        return f"{function}(**params)" if args else f"{function}()"
    values = [f"{v}=params[{string(k)}]" for k, v in args.items()]
    return call(function, values, level=1).strip()
