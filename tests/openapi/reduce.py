#!/usr/bin/env python3
"""Reduce the official Apify OpenAPI document to the machine-readable facts our tests use.

Usage: python3 tests/openapi/reduce.py UPSTREAM_OPENAPI_JSON [OUTPUT]
(OUTPUT defaults to tests/openapi/apify-openapi.json beside this script; "-" writes to stdout.)

Kept: paths, operations (method, operationId, tags, parameters, request bodies, responses),
parameters, schemas and every `$ref`, exactly as upstream. Dropped: prose and samples
(`description`, `summary`, `title`, `example`, `examples`, `externalDocs`, `contact`, the top-level
tag list and every `x-*` documentation extension). Keys of name maps (`properties`, `paths`,
`responses`, ...) are names, not keywords, so a property called `description` stays.
The output is deterministic: the same upstream document always gives the same bytes.
"""
import hashlib
import json
import os
import sys

# Keys dropped wherever they appear in keyword position.
DROPPED = {"description", "summary", "title", "example", "examples", "externalDocs", "contact"}
# Top-level members that are documentation only.
DROPPED_TOP = {"tags", "x-tagGroups"}
# Objects whose keys are names chosen by the document (every value is a keyword object).
NAME_MAPS = {
    "paths", "properties", "patternProperties", "$defs", "definitions", "dependentSchemas",
    "responses", "content", "headers", "encoding", "links", "callbacks", "variables",
    "schemas", "parameters", "requestBodies", "securitySchemes", "mapping", "webhooks",
}
# Values that are data, copied whole (a `default` may well contain a key named `description`).
DATA = {"enum", "const", "default", "required", "security", "scopes", "tags"}


def reduce(value, parent_key=None):
    if isinstance(value, list):
        return [reduce(v, parent_key=None) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, child in value.items():
        if parent_key in NAME_MAPS and isinstance(child, dict):
            # `key` is a name (a property, a path, a status code): keep it, reduce what it names.
            out[key] = reduce(child)
            continue
        if key in DROPPED or key.startswith("x-"):
            continue
        if key in DATA:
            out[key] = child
        else:
            out[key] = reduce(child, parent_key=key)
    return out


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], "rb") as f:
        raw = f.read()
    doc = json.loads(raw)
    reduced = {k: reduce(v, parent_key=k) for k, v in doc.items() if k not in DROPPED_TOP and not k.startswith("x-")}
    info = doc.get("info", {})
    reduced["info"] = {
        "version": info.get("version"),
        "license": info.get("license"),
        # Which upstream bytes this was made from, so a drift check can tell.
        "x-reduced-from-sha256": hashlib.sha256(raw).hexdigest(),
    }
    components = reduced.get("components", {})
    components.pop("examples", None)
    text = json.dumps(reduced, indent=1, ensure_ascii=False) + "\n"
    target = argv[2] if len(argv) == 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "apify-openapi.json")
    if target == "-":
        sys.stdout.write(text)
    else:
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
