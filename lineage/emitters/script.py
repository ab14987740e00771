"""The plain script: ``python P.py`` runs every step in this process, in order, through the
steps module's ``run``. Values pass between steps in memory; artifacts, and the values steps
hand on, are also written to the data folder (as the Airflow tasks write them)."""

from __future__ import annotations

from lineage.emitters import register
from lineage.emitters.naming import string
from lineage.emitters.render import (
    Pipeline,
    artifact_files,
    call,
    flags,
    render_template,
    signature,
)


@register("script", entry_point="{name}.py")
def render(pipeline: Pipeline) -> dict[str, str]:
    plan = pipeline.plan
    args = [f"{p.name}={p.name}" for p in plan.params]
    if plan.input_files:
        args.append("input_dir=input_dir")
    files = [string(f) for f in artifact_files(pipeline)]
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
        call=call("steps.run", [*args, "save=True"], level=1),
        files=call("ARTIFACT_FILES = ", files, brackets="[]"),
    )
    return {path: text}
