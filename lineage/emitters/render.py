"""What every target shares: the steps module, the tests, requirements.txt, and the helpers
the target emitters use to lay out code (one jinja2 environment, line wrapping, names).

Templates only ever receive validated identifiers, literals made by
:mod:`lineage.emitters.naming`, and the user's own statements (which are the code).
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lineage.emitters.files import rewrite
from lineage.emitters.model import RESERVED, Plan, Step
from lineage.emitters.naming import Namer, identifier, string
from lineage.errors import ExportError
from lineage.save_point import indent

LINE_LENGTH = 88  # what black and ruff format produce by default
_ARRAY_MODULES = frozenset({"numpy", "pandas", "scipy", "sklearn", "statsmodels", "xarray"})
_TYPES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}


@dataclass(frozen=True)
class Pipeline:
    """A plan, and what the files need to know about the environment it was exported from."""

    plan: Plan
    targets: tuple[str, ...]  # the entry points written ("script" always)
    requirements: tuple[str, ...]  # lines of requirements.txt
    expected: tuple[str, ...]  # artifacts whose saved value the tests compare with

    @property
    def name(self) -> str:
        return self.plan.pipeline

    @property
    def module(self) -> str:
        return f"{self.name}_module"

    def file(self, pattern: str) -> str:
        return pattern.format(name=self.name)

    @functools.cached_property
    def _value_files(self) -> dict[str, str]:
        out: dict[str, str] = {}
        taken: set[str] = set()  # lower case: two names may not differ only by case
        for artifact in dict.fromkeys([*(a for a, _, _ in self.plan.artifacts), *self.expected]):
            stem = base = identifier(artifact, default="artifact")
            n = 2
            while stem.lower() in taken:
                stem, n = f"{base}_{n}", n + 1
            taken.add(stem.lower())
            out[artifact] = f"{stem}.pkl"
        return out

    def value_file(self, artifact: str) -> str:
        """The file (under the data location, and under expected/) holding ``artifact``'s
        value: its name made a short identifier, unique in the pipeline."""
        return self._value_files[artifact]


@functools.lru_cache(maxsize=1)
def environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("lineage", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_template(name: str, path: str, **context: Any) -> str:
    """Render template ``name`` and check the result is valid Python (for ``.py`` files)."""
    text = environment().get_template(name).render(**context)
    if path.endswith(".py"):
        try:
            compile(text, path, "exec")
        except SyntaxError as e:
            raise ExportError(
                f"the emitted {path} is not valid Python (line {e.lineno}: {e.msg}); "
                "please report this with the artifacts you exported"
            ) from e
    return text


# -- code layout ------------------------------------------------------------------------------


def call(
    head: str, args: Sequence[str], tail: str = "", level: int = 0, brackets: str = "()"
) -> str:
    """``head(args)tail`` at ``level`` indents, wrapped the way ruff format wraps it."""
    pad = "    " * level
    left, right = brackets[0], brackets[-1]
    joined = ", ".join(args)
    line = f"{pad}{head}{left}{joined}{right}{tail}"
    if len(line) <= LINE_LENGTH or not args:
        return line
    if len(pad) + 4 + len(joined) <= LINE_LENGTH:
        return f"{pad}{head}{left}\n{pad}    {joined}\n{pad}{right}{tail}"
    inner = "".join(f"{pad}    {a},\n" for a in args)
    return f"{pad}{head}{left}\n{inner}{pad}{right}{tail}"


def assign(targets: Sequence[str], value: str) -> str:
    """``a, b = value`` (``value`` alone when nothing is assigned)."""
    return f"{', '.join(targets)} = {value}" if targets else value


def annotation(default: object) -> str:
    return _TYPES.get(type(default), "object")


def comment(step: Step) -> str:
    """The line above a step's function: which artifacts it rebuilds or serves."""
    made = ", ".join(string(a) for a in step.artifacts)
    others = [u for u in step.users if u not in step.artifacts]
    served = ", ".join(string(u) for u in others)
    if made and served:
        return f"# artifact {made}, also needed by {served}"
    if made:
        return f"# artifact {made}"
    return f"# shared by {served}"


def body(step: Step, argv: bool = False, files: dict[str, str] | None = None) -> str:
    """The step's statements, as the user wrote them, one blank line between cells and
    around nested definitions, then the return. ``argv``: first, set ``sys.argv`` to the
    arguments the session ran with. ``files``: path literals that become ``file_path(...)``
    calls (:func:`lineage.emitters.files.rewrite`)."""
    out: list[str] = []
    if argv:
        out += ["    sys.argv = list(SESSION_ARGV)", ""]
    previous: tuple[str, int | None] | None = None
    for text, cell in step.body:
        text = text.strip("\n")
        block = _is_block(text)
        if previous is not None and (block or _is_block(previous[0]) or cell != previous[1]):
            out.append("")
        out.append(indent("\n".join(split_imports(rewrite(text, files or {})))))
        previous = (text, cell)
    if step.outputs:
        out.append(f"    return {', '.join(step.outputs)}")
    return "\n".join(out)


def _is_block(text: str) -> bool:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return False
    return any(
        isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body
    )


def data_file(pipeline: Pipeline, step: str, name: str) -> str:
    """The file (under the data dir) that holds ``name`` as ``step`` returns it: the
    artifact's own file when it is an artifact, else an intermediate file."""
    for artifact, home, variable in pipeline.plan.artifacts:
        if home == step and variable == name:
            return pipeline.value_file(artifact)
    return f"intermediate/{step}/{name}.pkl"


def local_namer(pipeline: Pipeline, *extra: str) -> Namer:
    """Names for variables in an entry point's functions: clear of the names the templates
    use, the parameters, and ``extra``."""
    return Namer(set(RESERVED) | {p.name for p in pipeline.plan.params} | set(extra))


def signature(head: str, pipeline: Pipeline, tail: str) -> str:
    """``def run(NAME: type, ...) -> tail:`` over the pipeline's parameters, and the input
    location when the steps read files."""
    args = [f"{p.name}: {annotation(p.default)}" for p in pipeline.plan.params]
    if pipeline.plan.input_files:
        args.append("input_dir: str = steps.INPUT_DIR")
    return call(head, args, f" -> {tail}:")


def flags(pipeline: Pipeline) -> list[str]:
    """The entry point's command-line options, for its docstring."""
    out = [f"--{p.name}" for p in pipeline.plan.params]
    return out + (["--input-dir"] if pipeline.plan.input_files else [])


def stage_lines(pipeline: Pipeline) -> list[str]:
    """What an entry point runs first: copy the input files to the data location."""
    return ["steps.stage_inputs(input_dir)"] if pipeline.plan.input_files else []


def artifact_files(pipeline: Pipeline) -> list[str]:
    """The artifacts' value files under the data location, in the order the steps make them."""
    plan = pipeline.plan
    return [
        pipeline.value_file(artifact)
        for step in plan.steps
        for artifact, home, _ in plan.artifacts
        if home == step.name
    ]


def _run_function(pipeline: Pipeline) -> dict[str, Any]:
    """The steps module's ``run``: every step called in plan order, in this process, each
    value handed to ``keep`` (``save_value`` when ``save``) as soon as it is made; it returns
    the artifacts by name. The script calls it, and so does :func:`lineage.get_function`."""
    plan = pipeline.plan
    taken = {*RESERVED, *(p.name for p in plan.params), *(s.name for s in plan.steps)}
    names = Namer(taken)
    var: dict[tuple[str, str], str] = {}  # (step, output) -> variable in run()
    lines = ["stage_inputs(input_dir)"] if plan.input_files else []
    for step in plan.steps:
        args = [var[(home, name)] for name, home in step.inputs] + list(step.params)
        outputs = [names(name) for name in step.outputs]
        var.update({(step.name, n): v for n, v in zip(step.outputs, outputs, strict=True)})
        lines.append(call(assign(outputs, step.name), args, level=1).strip())
        for artifact, home, variable in plan.artifacts:
            if home == step.name:
                file = string(pipeline.value_file(artifact))
                lines.append(call("keep", [var[(home, variable)], file], level=1).strip())
        for name, value in zip(step.outputs, outputs, strict=True):
            file = data_file(pipeline, step.name, name)
            if file.startswith("intermediate/"):  # kept too, as the DAG keeps them
                lines.append(call("keep", [value, string(file)], level=1).strip())
    args = [f"{p.name}: {annotation(p.default)} = PARAMS[{string(p.name)}]" for p in plan.params]
    if plan.input_files:
        args.append("input_dir: str = INPUT_DIR")
    items = [f"{string(a)}: {var[(home, variable)]}" for a, home, variable in plan.artifacts]
    return {
        "signature": call("def run", [*args, "save: bool = False"], " -> dict[str, object]:"),
        "lines": lines,
        "returns": call("return ", items, level=1, brackets="{}").strip(),
    }


# -- the files every target shares ------------------------------------------------------------


def render_module(pipeline: Pipeline) -> str:
    plan = pipeline.plan
    helper_imports = ["import os", "import pickle", "from pathlib import Path"]
    if plan.input_files:
        helper_imports += ["import shutil", "import sys"]
    if plan.params or plan.input_files:
        helper_imports += ["import argparse"]
        if any(p.kind == "json" for p in plan.params):
            helper_imports.append("import json")
    if plan.cloudpickle:
        helper_imports.append("import cloudpickle")
    if plan.argv is not None:
        helper_imports.append("import sys")
    imports = _sorted_imports([*helper_imports, *plan.imports])
    argv = plan.argv is not None
    files = dict(plan.input_files)
    steps = [
        {
            "comment": comment(s),
            "signature": call(f"def {s.name}", _args(s), ":"),
            "body": body(s, argv, files),
        }
        for s in plan.steps
    ]
    params = [
        {
            "key": string(p.name),
            "default": p.default_source,
            "argument": call(
                "parser.add_argument",
                [
                    string(f"--{p.name}"),
                    f"type={_arg_type(p.kind, p.coerce)}",
                    f"default=PARAMS[{string(p.name)}]",
                ],
                level=1,
            ),
        }
        for p in plan.params
    ]
    return render_template(
        "module.py.j2",
        pipeline.file("{name}_module.py"),
        pipeline=pipeline.name,
        script=pipeline.file("{name}.py"),
        imports=imports,
        params=params,
        bool_params=any(p.kind == "bool" for p in plan.params),
        work_dir=string(plan.work_dir) if plan.work_dir else None,
        inputs=_input_files(plan),
        argv=call("SESSION_ARGV = ", [string(a) for a in plan.argv], brackets="[]")
        if plan.argv is not None
        else None,
        cloudpickle=plan.cloudpickle,
        helpers=[rewrite(h.strip("\n"), files) for h in plan.helpers],
        reuse=_reuse_context(plan),
        steps=steps,
        run=_run_function(pipeline),
    )


def _reuse_context(plan: Plan) -> dict[str, Any] | None:
    """The store and the loading functions of the artifacts the steps reuse, if any."""
    store = plan.reuse_store
    if not plan.reused or store is None:
        return None
    entries = {"database_url": store.database_url, "artifact_url": store.artifact_url}
    secret = None in entries.values()
    if secret:
        entries["hidden"] = store.shown
    return {
        "store": [_entry(k, "None" if v is None else string(v)) for k, v in entries.items()],
        "secret": secret,
        "loaders": [
            {
                "function": r.function,
                "comment": f"# reused artifact {string(r.artifact)} version {r.version}: loaded "
                "from the store instead of recomputed",
                "call": call(
                    "return load_reused",
                    [string(r.artifact), str(r.version), string(r.key)],
                    level=1,
                ),
            }
            for r in plan.reused
        ],
    }


def _entry(key: str, value: str) -> str:
    """``"key": value,`` in a dict at one indent, the value in parentheses on its own line
    when the line would be too long (as ruff format keeps it)."""
    line = f"    {string(key)}: {value},"
    if len(line) <= LINE_LENGTH:
        return line
    return f"    {string(key)}: (\n        {value}\n    ),"


def _input_files(plan: Plan) -> str | None:
    if not plan.input_files:
        return None
    names = sorted({string(name) for _, name in plan.input_files})
    return call("INPUT_FILES = ", names, brackets="[]")


def _args(step: Step) -> list[str]:
    return [name for name, _ in step.inputs] + list(step.params)


def _arg_type(kind: str, coerce: str | None) -> str:
    if kind == "bool":
        return "boolean"
    if kind == "json":
        return f"lambda text: {coerce}(json.loads(text))" if coerce else "json.loads"
    return kind


def _sorted_imports(texts: Sequence[str]) -> list[list[str]]:
    """Imports grouped as isort does (future, standard library, third party), each group
    sorted, duplicates dropped."""
    groups: dict[int, dict[tuple[bool, str, str], str]] = {0: {}, 1: {}, 2: {}}
    for text in [line for t in texts for line in split_imports(t.strip("\n"))]:
        node = ast.parse(text).body[0]
        if isinstance(node, ast.ImportFrom):
            module, is_from = "." * node.level + (node.module or ""), True
        else:
            assert isinstance(node, ast.Import)
            module, is_from = node.names[0].name, False
        root = module.split(".")[0]
        group = 0 if root == "__future__" else 1 if root in sys.stdlib_module_names else 2
        groups[group].setdefault((is_from, module.lower(), text), text)
    return [[groups[g][k] for k in sorted(groups[g])] for g in (0, 1, 2) if groups[g]]


def split_imports(text: str) -> list[str]:
    """``import csv, random`` as one import a line (``import csv``, ``import random``), as
    ruff and isort want; any other statement as it is."""
    try:
        nodes = ast.parse(text).body
    except SyntaxError:
        return [text]
    if not nodes or not all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in nodes):
        return [text]
    if len(nodes) == 1 and (isinstance(nodes[0], ast.ImportFrom) or len(_aliases(nodes[0])) == 1):
        return [text]  # the user's own spelling
    out: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [ast.unparse(ast.Import(names=[alias])) for alias in node.names]
        else:
            out.append(ast.unparse(node))
    return out


def _aliases(node: ast.stmt) -> list[ast.alias]:
    return list(node.names) if isinstance(node, (ast.Import, ast.ImportFrom)) else []


def render_tests(pipeline: Pipeline) -> str:
    plan = pipeline.plan
    arrays = bool(_ARRAY_MODULES & set(plan.modules))
    return render_template(
        "test.py.j2",
        pipeline.file("test_{name}.py"),
        pipeline=pipeline.name,
        script=string(pipeline.file("{name}.py")),
        script_name=pipeline.file("{name}.py"),
        artifacts=[string(pipeline.value_file(a)) for a in pipeline.expected],
        arrays=arrays,
    )


def render_requirements(pipeline: Pipeline) -> str:
    return render_template(
        "requirements.txt.j2",
        "requirements.txt",
        pipeline=pipeline.name,
        lines=pipeline.requirements,
    )


def render_common(pipeline: Pipeline) -> dict[str, str]:
    """The files every export writes, whatever its target."""
    files = {
        pipeline.file("{name}_module.py"): render_module(pipeline),
        "requirements.txt": render_requirements(pipeline),
    }
    if pipeline.expected:
        files[pipeline.file("test_{name}.py")] = render_tests(pipeline)
    return files
