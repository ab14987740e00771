"""Kubeflow Pipelines (KFP v2): one lightweight component per step carrying the steps module
(embedded in the spec, nothing installed at run time), values handed on as pickled output
artifacts, each artifact also written where the other targets keep it; typed pipeline
parameters; the file compiles the spec or runs it with ``kfp.local``."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from lineage.emitters import register
from lineage.emitters.model import Step
from lineage.emitters.naming import Namer, literal, string
from lineage.emitters.params import Param
from lineage.emitters.render import (
    Pipeline,
    annotation,
    call,
    comment,
    flags,
    render_template,
)

# Module-level names of the file: no component or task may take one.
_FILE_NAMES = frozenset(
    "argparse atexit json os shutil sys tempfile compiler dsl local Artifact Input Output steps "
    "HERE PACKAGE IMAGE embedded use_steps load keep parse_json component main".split()
)
# What a component's body calls: none of its arguments may take one.
_BODY_NAMES = frozenset({"steps", "use_steps", "load", "keep", "parse_json", "value", "values"})


@dataclass(frozen=True)
class _Component:
    step: Step
    comment: str
    signature: str
    lines: list[str]
    inputs: dict[str, tuple[str, str]]  # argument -> (value, step making it)
    params: dict[str, str]  # argument -> the parameter's name in the notebook
    outputs: dict[str, str]  # value -> output argument


@register(
    "kubeflow", entry_point="{name}_kfp.py", module="kfp", distribution="kfp", extra="kubeflow"
)
def render(pipeline: Pipeline) -> dict[str, str]:
    plan = pipeline.plan
    taken = Namer({"input_dir"})
    params = {p.name: _kfp_name(taken, p.name, "param") for p in plan.params}
    data_dir = taken("data_dir")
    functions = Namer(_FILE_NAMES | set(params.values()) | {data_dir, "input_dir"})
    stage = functions("stage_inputs") if plan.input_files else None
    fn = {s.name: _kfp_name(functions, s.name, "step") for s in plan.steps}
    function = functions(f"{pipeline.name}_pipeline")
    components = [_component(pipeline, s, fn[s.name], data_dir) for s in plan.steps]
    json_params = [p.name for p in plan.params if p.kind == "json"]
    helpers = ["use_steps", "load", "keep"] + (["parse_json"] if json_params else [])
    signature = [f"{params[p.name]}: {_type(p)} = {_default(p)}" for p in plan.params]
    if stage:
        signature.append("input_dir: str = steps.INPUT_DIR")
    signature.append(f"{data_dir}: str = steps.data_root()")
    describe = "description=" + string(f"The {pipeline.name} pipeline, exported by lineage.")
    kfp_name = "name=" + string(_pipeline_name(pipeline.name))
    path = pipeline.file("{name}_kfp.py")
    text = render_template(
        "kfp.py.j2",
        path,
        pipeline=pipeline.name,
        module=pipeline.module,
        module_file=string(pipeline.file("{name}_module.py")),
        script=path,
        package=pipeline.file("{name}_pipeline.yaml"),
        package_literal=string(pipeline.file("{name}_pipeline.yaml")),
        flags=flags(pipeline),
        dsl_imports=_dsl_imports(plan.steps),
        params=bool(plan.params or plan.input_files),
        json_params=bool(json_params),
        arguments=_arguments(params, json_params),
        local_modules=[string(os.path.basename(m)) for m in plan.local_modules],
        cloudpickle=plan.cloudpickle,
        additional=call("additional_funcs=", helpers, ",", 1, "[]"),
        stage=stage,
        components=components,
        decorator=call("@dsl.pipeline", [kfp_name, describe]),
        parser=call("parser = argparse.ArgumentParser", [describe, "allow_abbrev=False"], level=1),
        compile=call(
            "compiler.Compiler().compile",
            [function, "PACKAGE", "pipeline_parameters=arguments"],
            level=2,
        ),
        pipeline_signature=call(f"def {function}", signature, " -> None:"),
        wiring=_wiring(pipeline, fn, stage, data_dir, params, components),
        function=function,
    )
    return {path: text}


def _dsl_imports(steps: tuple[Step, ...]) -> list[str]:
    """What the file imports from kfp.dsl: the artifact annotations its components use."""
    used = [any(s.inputs for s in steps), any(s.outputs for s in steps)]
    return ["Artifact"] + [name for name, use in zip(["Input", "Output"], used, strict=True) if use]


def _kfp_name(names: Namer, name: str, prefix: str) -> str:
    """``name`` (unique) when KFP takes it for a parameter, an input or an output (an ASCII
    letter, then letters, digits and underscores), else a name made of it."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        name = "_".join([prefix, *re.findall(r"[A-Za-z0-9]+", name)])
    return names(name)


def _arguments(params: dict[str, str], json_params: list[str]) -> list[str]:
    """Lines of main() turning what steps.parse_params returns into the pipeline's
    arguments: JSON text for containers and None, under the names KFP takes."""
    lines = []
    for name, kfp in params.items():
        value = f"arguments.pop({string(name)})" if kfp != name else f"arguments[{string(name)}]"
        if name in json_params:
            value = f"json.dumps({value}, default=list)"
        if kfp != name or name in json_params:
            lines.append(f"arguments[{string(kfp)}] = {value}")
    return lines


def _pipeline_name(name: str) -> str:
    """A pipeline name KFP takes (``^[a-z0-9][a-z0-9-]{0,127}$``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:128].rstrip("-") or "pipeline"


def _type(param: Param) -> str:
    return "str" if param.kind == "json" else annotation(param.default)


def _default(param: Param) -> str:
    if param.kind == "json":  # JSON text: KFP makes floats of the numbers in lists and dicts
        return string(json.dumps(param.json_default))
    return literal(param.default)


def _component(pipeline: Pipeline, step: Step, name: str, data_dir: str) -> _Component:
    """The component running ``step``: its signature, body, and the names of its inputs,
    parameters and outputs (argument name -> what the pipeline passes)."""
    plan = pipeline.plan
    names = Namer(_BODY_NAMES | {data_dir})
    inputs = {_kfp_name(names, n, "value"): (n, home) for n, home in step.inputs}
    given = {_kfp_name(names, p, "param"): p for p in step.params}
    outputs = {n: _kfp_name(names, n, "value") for n in step.outputs}
    by_name = {p.name: p for p in plan.params}
    args = [f"{data_dir}: str"]
    args += [f"{a}: Input[Artifact]" for a in inputs]
    args += [f"{a}: {_type(by_name[p])}" for a, p in given.items()]
    args += [f"{a}: Output[Artifact]" for a in outputs.values()]
    values = [f"load({a})" for a in inputs]
    for a, p in given.items():
        param, value = by_name[p], a
        if param.kind == "json":
            value = f"{param.coerce}(parse_json({a}))" if param.coerce else f"parse_json({a})"
        values.append(value)
    lines = [f"steps = use_steps({data_dir})"]
    if len(step.outputs) == 1:
        (only,) = step.outputs
        lines.append(call(f"value = steps.{step.name}", values, level=1))
        lines.append(call("keep", ["value", outputs[only], *_files(pipeline, step, only)], level=1))
    elif step.outputs:
        lines.append(call(f"values = steps.{step.name}", values, level=1))
        for i, n in enumerate(step.outputs):
            keep = [f"values[{i}]", outputs[n], *_files(pipeline, step, n)]
            lines.append(call("keep", keep, level=1))
    else:
        lines.append(call(f"steps.{step.name}", values, level=1))
    return _Component(
        step=step,
        comment=comment(step),
        signature=call(f"def {name}", args, " -> None:"),
        lines=[line.removeprefix("    ") for line in lines],
        inputs=inputs,
        params=given,
        outputs=outputs,
    )


def _files(pipeline: Pipeline, step: Step, name: str) -> list[str]:
    """The artifact files under the data location that output ``name`` of ``step`` is."""
    return [
        string(pipeline.value_file(a))
        for a, home, v in pipeline.plan.artifacts
        if (home, v) == (step.name, name)
    ]


def _wiring(
    pipeline: Pipeline,
    fn: dict[str, str],
    stage: str | None,
    data_dir: str,
    params: dict[str, str],
    components: list[_Component],
) -> list[str]:
    """The pipeline's body: one task per step, fed the outputs of the tasks before it and
    the pipeline's parameters, after the tasks it must follow."""
    steps = pipeline.plan.steps
    used = {home for s in steps for _, home in s.inputs} | {a for s in steps for a in s.after}
    names = Namer(_FILE_NAMES | {*params.values(), data_dir, "input_dir", *fn.values()})
    names.taken.add(stage or "")
    var = {s.name: names(f"{s.name}_task") for s in steps if s.name in used}
    lines = []
    if stage:
        var[stage] = names("stage_task")
        stage_args = [f"{data_dir}={data_dir}", "input_dir=input_dir"]
        lines.append(call(f"{var[stage]} = {stage}", stage_args, level=1)[4:])
    outputs = {c.step.name: c.outputs for c in components}
    for step, c in zip(steps, components, strict=True):
        args = [f"{data_dir}={data_dir}"]
        for arg, (n, home) in c.inputs.items():
            args.append(f"{arg}={var[home]}.outputs[{string(outputs[home][n])}]")
        args += [f"{arg}={params[p]}" for arg, p in c.params.items()]
        given = {home for _, home in step.inputs}
        after = [var[a] for a in step.after if a not in given]
        if stage and not step.after and not step.inputs:
            after.append(var[stage])
        tail = call(".after", after) if after else ""
        head = f"{var[step.name]} = {fn[step.name]}" if step.name in var else fn[step.name]
        lines.append(call(head, args, tail, level=1)[4:])
    return lines
