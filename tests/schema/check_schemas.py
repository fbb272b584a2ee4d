#!/usr/bin/python3
"""Runs upscope commands that emit JSON and validates each document against the JSON Schema its
"schema" field names (reports/schemas/<doc>.schema.json). Also checks every schema file against
the draft 2020-12 meta-schema. Usage: check_schemas.py UPSCOPE_BINARY SOURCE_DIR [SAMPLES_DIR]

Needs Debian's python3-jsonschema (run with /usr/bin/python3)."""
import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

import jsonschema


def main():
    binary, source_dir = sys.argv[1], sys.argv[2]
    samples = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else os.environ.get("UPSCOPE_SAMPLES") or None
    schema_dir = os.path.join(source_dir, "reports", "schemas")
    store = {}
    for path in sorted(glob.glob(os.path.join(schema_dir, "*.schema.json"))):
        with open(path) as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        store[schema["$id"]] = schema
        store[os.path.basename(path)] = schema
    print(f"{len(store) // 2} schema files are valid draft 2020-12")

    work = tempfile.mkdtemp(prefix="upscope-schema-check.")  # {work}: this run's scratch dir
    commands = []
    with open(os.path.join(source_dir, "tests", "schema", "commands.txt")) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if "{samples}" in line and not samples:
                print(f"SKIPPED (UPSCOPE_SAMPLES unset): {line}")
                continue
            commands.append(line.replace("{samples}", samples or "").replace("{source}", source_dir)
                            .replace("{work}", work))

    failures = 0
    checked = 0
    for line in commands:
        if line.startswith("!"):  # a set-up command (a fixture writer), run by the shell
            proc = subprocess.run(line[1:], shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if proc.returncode:
                print(f"FAIL: set-up {line[1:]}: exit {proc.returncode}: {proc.stderr.decode()[-300:]}")
                failures += 1
            continue
        argv = [binary] + shlex.split(line)
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            doc = json.loads(proc.stdout)
        except json.JSONDecodeError as e:
            print(f"FAIL: {line}: stdout is not JSON ({e}); exit {proc.returncode}")
            failures += 1
            continue
        name = doc.get("schema", "")
        parts = name.split("/")
        if len(parts) != 3 or parts[0] != "upscope":
            print(f"FAIL: {line}: missing or malformed 'schema' field: {name!r}")
            failures += 1
            continue
        schema = store.get(f"{parts[1]}.schema.json")
        if schema is None:
            print(f"FAIL: {line}: no schema file reports/schemas/{parts[1]}.schema.json")
            failures += 1
            continue
        resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema, store=store)
        validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        if errors:
            failures += 1
            for e in errors[:5]:
                print(f"FAIL: {line}: {'/'.join(map(str, e.path))}: {e.message[:300]}")
        else:
            checked += 1
    print(f"{checked} passed, {failures} failed")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
