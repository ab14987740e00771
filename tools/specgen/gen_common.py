"""Shared helpers for generating spec JSON in the house format."""

import json


def dump_effect(effect: dict) -> str:
    return json.dumps(effect, separators=(", ", ": "))


def write_doc(path: str, comment: str, immutable, aliases: dict, functions: dict, methods: dict):
    lines = ["{", f'  "$comment": {json.dumps(comment)},']
    parts = []
    if immutable:
        body = ",\n".join(f"    {json.dumps(n)}" for n in sorted(set(immutable)))
        parts.append(f'  "immutable_types": [\n{body}\n  ]')
    if aliases:
        body = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(aliases.items()))
        parts.append(f'  "aliases": {{\n{body}\n  }}')
    if functions:
        body = ",\n".join(
            f"    {json.dumps(k)}: {dump_effect(v)}" for k, v in sorted(functions.items())
        )
        parts.append(f'  "functions": {{\n{body}\n  }}')
    if methods:
        blocks = []
        for t, table in sorted(methods.items()):
            inner = ",\n".join(
                f"      {json.dumps(m)}: {dump_effect(e)}"
                for m, e in sorted(table.items(), key=lambda kv: (kv[0] != "*", kv[0]))
            )
            blocks.append(f"    {json.dumps(t)}: {{\n{inner}\n    }}")
        parts.append('  "methods": {\n' + ",\n".join(blocks) + "\n  }")
    lines.append(",\n".join(parts))
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)
    with open(path, "w") as f:
        f.write(text)
