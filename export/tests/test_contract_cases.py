"""The shared contract conformance cases (export/contract/cases.json) against kgan_runtime.

The JavaScript runtime runs the same file (export/js/tests/contract.test.js), which holds the
two implementations of the contract to the same rules and messages.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kgan_runtime import CONTRACT_KEY, KganRuntimeError, errors
from kgan_runtime.contract import Contract

CASES_FILE = Path(__file__).resolve().parents[1] / "contract" / "cases.json"
DOC = json.loads(CASES_FILE.read_text(encoding="utf-8"))


def _metadata(case: dict[str, Any]) -> dict[str, str]:
    if "metadata" in case:
        return dict(case["metadata"])
    if "text" in case:
        return {CONTRACT_KEY: case["text"]}
    contract = dict(DOC["bases"][case["base"]])
    contract.update(case.get("set", {}))
    for key in case.get("delete", []):
        contract.pop(key)
    return {CONTRACT_KEY: json.dumps(contract)}


class _FakeSession:
    """What Contract.check_graph reads from an onnxruntime session."""

    def __init__(self, graph: dict[str, list]) -> None:
        self.graph = graph

    def _args(self, kind: str) -> list[SimpleNamespace]:
        return [
            SimpleNamespace(name=name, type=type_, shape=shape)
            for name, type_, shape in self.graph[kind]
        ]

    def get_inputs(self) -> list[SimpleNamespace]:
        return self._args("inputs")

    def get_outputs(self) -> list[SimpleNamespace]:
        return self._args("outputs")


def _run(case: dict[str, Any]):
    contract = Contract.from_metadata(_metadata(case), source=DOC["where"])
    if "graph" in case:
        contract.check_graph(_FakeSession(case["graph"]), source=DOC["where"])
    return contract


@pytest.mark.parametrize("case", DOC["cases"], ids=[c["name"] for c in DOC["cases"]])
def test_case(case: dict[str, Any]) -> None:
    expect = case["expect"]
    if expect["error"] is None:
        contract = _run(case)
        assert contract.latent_dim == expect["latent_dim"]
        assert contract.num_classes == expect["num_classes"]
        assert contract.layout == expect["layout"]
        assert list(contract.value_range) == expect["value_range"]
        assert contract.output.dtype == expect["output_dtype"]
        assert list(contract.output.shape) == expect["output_shape"]
        assert list(contract.inputs) == expect["input_names"]
        return
    error_class = getattr(errors, expect["error"])
    with pytest.raises(KganRuntimeError) as info:
        _run(case)
    message = str(info.value)
    assert type(info.value) is error_class, message
    assert message.startswith(f"{DOC['where']}: "), message
    assert expect["message"] in message, message
    assert "\n" not in message


def test_cases_cover_every_rule() -> None:
    """Each error case names a distinct situation; valid and graph cases are both present."""
    names = [c["name"] for c in DOC["cases"]]
    assert len(names) == len(set(names))
    assert sum(c["expect"]["error"] is None for c in DOC["cases"]) >= 10
    assert sum("graph" in c for c in DOC["cases"]) >= 15
