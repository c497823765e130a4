"""A setting read along a firewall policy's base-policy chain (child first): the threat
intelligence and IDPS modes, where the strictest value along the chain is what applies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aksfw_tui.model import ids
from aksfw_tui.model.resources import FirewallPolicy
from aksfw_tui.model.topology import Topology

STRICTNESS = {"off": 0, "alert": 1, "deny": 2}
CANONICAL = {"off": "Off", "alert": "Alert", "deny": "Deny"}


@dataclass(frozen=True)
class ChainMode:
    """One mode property read along a firewall policy's base chain, child first."""

    policies: tuple[FirewallPolicy, ...]  # the readable part of the chain, child first
    values: tuple[str, ...]  # each policy's own value ('' when it does not set it)
    missing: str  # why the chain could not be read to its end; '' when it was

    @property
    def strictest(self) -> tuple[str, str]:
        """(canonical mode, name of the policy that sets it), or ('', '') when none sets one."""
        best, setter = "", ""
        for policy, value in zip(self.policies, self.values, strict=True):
            rank = STRICTNESS.get(value.lower())
            if rank is not None and (not best or rank > STRICTNESS[best.lower()]):
                best, setter = CANONICAL[value.lower()], policy.name
        return best, setter

    @property
    def unrecognised(self) -> list[tuple[str, str]]:
        return [(p.name, v) for p, v in zip(self.policies, self.values, strict=True)
                if v and v.lower() not in STRICTNESS]

    def describe(self, prop: str) -> list[dict[str, Any]]:
        """Evidence: each policy of the chain and its own value of `prop`."""
        return [{"policy": p.id, prop: v or None}
                for p, v in zip(self.policies, self.values, strict=True)]


def policy_chain_mode(topology: Topology, policy_id: str,
                      read: Callable[[FirewallPolicy], str]) -> ChainMode:
    """Walk firewall policy → base → base…, reading one property; stop at the first gap."""
    policies: list[FirewallPolicy] = []
    missing = ""
    seen: set[str] = set()
    current = policy_id
    while current and ids.key(current) not in seen:  # a base cycle is a broken export, not a loop
        seen.add(ids.key(current))
        what = "base policy" if policies else "firewall policy"
        policy = topology.policy(current)
        if policy is None:
            missing = topology.missing(what, current)
            break
        if not policy.has_properties:
            missing = f"{what} {policy.name} was exported without its properties"
            break
        policies.append(policy)
        if policy.base_unread:
            missing = policy.base_unread
            break
        current = policy.base_policy_id
    return ChainMode(tuple(policies), tuple(read(p) for p in policies), missing)
