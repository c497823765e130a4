"""waf-in-front: placeholder until implemented; says unknown, never pass."""

from __future__ import annotations

from typing import Any

from aksfw_tui.checks.base import Check, Result, Severity, Subject, unknown
from aksfw_tui.model.topology import Topology


def evaluate(topology: Topology, subject: Any) -> Result:
    return unknown("this check is not implemented yet")


CHECK = Check(
    id="waf-in-front",
    title="Placeholder for waf-in-front (not implemented yet)",
    subjects=(Subject.CLUSTER,),
    severity=Severity.MEDIUM,
    passes_when="Never: the check is not implemented yet.",
    rationale="Placeholder so the catalogue lists every planned id; it reports unknown for every "
              "subject until its logic lands.",
    references=("https://learn.microsoft.com/azure/aks/limit-egress-traffic",),
    evaluate=evaluate,
)
