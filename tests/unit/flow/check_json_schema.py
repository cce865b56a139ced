#!/usr/bin/env python3
"""Validates the shipped flows, connection files, fixture files and the docs' flow examples
against docs/schemas with a real JSON Schema validator (what an editor does with them).
Usage: check_json_schema.py REPO_ROOT"""
import glob
import json
import re
import sys

import jsonschema
import yaml


class Loader(yaml.SafeLoader):
    """YAML as ferry reads it: dates stay text (PyYAML would make datetime objects)."""


Loader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def main(root):
    schemas = {n: json.load(open(f"{root}/docs/schemas/{n}.schema.json"))
               for n in ("flow", "connection", "flow-test")}
    documents = []
    for path in sorted(glob.glob(f"{root}/flows/*.yaml")):
        kind = "flow-test" if path.endswith(".test.yaml") else "flow"
        documents.append((path, kind, yaml.load(open(path), Loader=Loader)))
    for path in sorted(glob.glob(f"{root}/flows/connections/*.yaml")):
        documents.append((path, "connection", yaml.load(open(path), Loader=Loader)))
    doc = open(f"{root}/docs/flow-format.md").read()
    for i, m in enumerate(re.finditer(r"```yaml\n(flow:[^`]*)```", doc)):
        data = yaml.load(m.group(1), Loader=Loader)
        documents.append((f"flow-format.md example {i + 1}",
                          "flow-test" if "cases" in data else "flow", data))
    failures = 0
    for name, kind, data in documents:
        errors = list(jsonschema.Draft202012Validator(schemas[kind]).iter_errors(data))
        for e in errors:
            print(f"{name}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        failures += len(errors)
    print(f"{len(documents)} documents, {failures} schema errors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
