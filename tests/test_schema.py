"""The documented schema is the one the code writes."""

import json
from pathlib import Path

from ipv6scan.model import SCHEMA_VERSION, json_schema

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_committed_schema_matches_the_model():
    committed = json.loads((DOCS / "scan-schema.json").read_text(encoding="utf-8"))
    assert committed == json_schema(), "run: ipv6scan schema > docs/scan-schema.json"


def test_schema_doc_names_the_version():
    assert f"schema_version {SCHEMA_VERSION}" in (DOCS / "schema.md").read_text(encoding="utf-8")
