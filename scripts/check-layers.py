#!/usr/bin/env python3
"""Checks the crate dependency edges of the workspace against docs/layers.toml.

Fails (exit 1) when a fjord crate depends on another fjord crate that the layer file does not
allow, or when a workspace crate is missing from the layer file. Dev-dependencies count too:
a test-only edge can still invert a layer.
"""
import json
import subprocess
import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent
allowed = tomllib.loads((root / "docs" / "layers.toml").read_text())["allowed"]
meta = json.loads(subprocess.check_output(
    ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"], cwd=root))
problems = []
for pkg in meta["packages"]:
    name = pkg["name"]
    if name not in allowed:
        problems.append(f"{name}: not listed in docs/layers.toml")
        continue
    for dep in pkg["dependencies"]:
        dep_name = dep["name"]
        if dep_name.startswith("fjord-") and dep_name not in allowed[name]:
            problems.append(f"{name} -> {dep_name}: edge not allowed by docs/layers.toml")
for p in problems:
    print(f"layers: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"layers: {len(meta['packages'])} crates, all edges allowed")
