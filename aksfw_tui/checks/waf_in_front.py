"""waf-in-front: every public entry to the cluster passes an App Gateway WAF in Prevention mode.

Severity: `high` when some entry passes no WAF at all (a public LoadBalancer service, a DNAT rule
straight to the cluster, a Standard_v2 gateway, a disabled WAF): HTTP attacks reach the pods
unfiltered. A DNAT straight to the cluster is no worse than a public LoadBalancer (it at least
passes the firewall's threat intelligence and logs), so it is `high`, not `critical`. `medium`
when every failing entry passes a WAF that is on but only in Detection mode: the same exposure,
but attacks are logged and the fix is one setting.
"""

from __future__ import annotations

from typing import Any

from aksfw_tui.checks.base import (
    Check,
    Remediation,
    Result,
    Severity,
    Subject,
    failed,
    not_applicable,
    passed,
    unknown,
)
from aksfw_tui.model import ids
from aksfw_tui.model.ingress import ClusterIngress, Entry, EntryKind, Waf, cluster_ingress
from aksfw_tui.model.resources import AppGateway, Cluster
from aksfw_tui.model.topology import Topology


def evaluate(topology: Topology, cluster: Cluster) -> Result:
    if not cluster.has_properties:
        return unknown(f"cluster {cluster.name} was exported without its properties")
    ingress = cluster_ingress(topology, cluster)
    evidence = _evidence(ingress)
    failing = [e for e in ingress.entries if e.waf.state not in (Waf.PREVENTION, Waf.UNKNOWN)]
    if failing:
        only_detection = all(e.waf.state is Waf.DETECTION for e in failing)
        return failed(
            f"{len(failing)} of {len(ingress.entries)} public entr"
            f"{'y' if len(ingress.entries) == 1 else 'ies'} to {cluster.name} "
            f"pass{'es' if len(failing) == 1 else ''} no WAF in Prevention mode: "
            + "; ".join(_describe(e) for e in failing),
            _remediation(topology, cluster, failing),
            Severity.MEDIUM if only_detection else None,
            **evidence,
        )
    undecided = [e.waf.detail for e in ingress.entries if e.waf.state is Waf.UNKNOWN]
    if undecided or ingress.gaps:
        return unknown("cannot tell whether every public entry passes a WAF: "
                       + "; ".join([*undecided, *ingress.gaps]), **evidence)
    if not ingress.entries:
        return not_applicable(
            f"no public entry to {cluster.name}: no public load balancer frontend with inbound "
            "rules, no public App Gateway listener and no firewall DNAT rule reaches it", **evidence)
    return passed(f"all {len(ingress.entries)} public entr"
                  f"{'y' if len(ingress.entries) == 1 else 'ies'} to {cluster.name} pass a WAF in "
                  "Prevention mode: " + "; ".join(_describe(e) for e in ingress.entries),
                  **evidence)


def _describe(entry: Entry) -> str:
    return f"{' → '.join(entry.path)} ({entry.waf.detail})"


def _evidence(ingress: ClusterIngress) -> dict[str, Any]:
    return {"entries": [e.evidence() for e in ingress.entries], "unseen": list(ingress.gaps)}


# -- remediation ---------------------------------------------------------------------------------


def _remediation(topology: Topology, cluster: Cluster, failing: list[Entry]) -> Remediation:
    steps: list[str] = []
    az: list[str] = []
    gateways = {ids.key(e.gateway_id): e for e in failing if e.gateway_id}
    for entry in gateways.values():
        gateway = next(g for g in topology.app_gateways if g.key == ids.key(entry.gateway_id))
        _gateway_fix(gateway, entry, steps, az)
    direct = [e for e in failing if not e.gateway_id]
    target = _suggested_gateway(topology, cluster)
    for entry in direct:
        _direct_fix(topology, cluster, entry, target, steps, az)
    policy_name, policy_rg = _policy_names(topology, cluster, failing, target)
    return Remediation(
        summary=f"Put every public entry to {cluster.name} behind an App Gateway WAF_v2 whose WAF "
                f"policy ({policy_name}) is enabled in Prevention mode",
        steps=tuple(dict.fromkeys(steps)), az_cli=tuple(dict.fromkeys(az)),
        bicep=_bicep(policy_name, cluster.region, target), terraform=_terraform(
            policy_name, policy_rg, cluster.region, target),
    )


def _gateway_fix(gateway: AppGateway, entry: Entry, steps: list[str], az: list[str]) -> None:
    rg = gateway.resource_group
    if entry.waf.policy_id and gateway.sku_tier.lower() == "waf_v2":
        policy = ids.name_of(entry.waf.policy_id)
        prg = ids.resource_group_of(entry.waf.policy_id) or rg
        steps.append(f"Review the WAF logs of {policy} for false positives (add exclusions), then "
                     "switch it to Prevention: Detection only logs attacks, it does not block them.")
        az.append(f"az network application-gateway waf-policy policy-setting update "
                  f"--resource-group {prg} --policy-name {policy} --state Enabled --mode Prevention")
    elif gateway.sku_tier.lower() == "waf_v2" and gateway.legacy_waf_enabled is not None:
        steps.append(f"Enable {gateway.name}'s WAF configuration in Prevention mode, and plan the "
                     "migration to a WAF policy (legacy WAF configuration is deprecated).")
        az.append(f"az network application-gateway waf-config set --resource-group {rg} "
                  f"--gateway-name {gateway.name} --enabled true --firewall-mode Prevention "
                  "--rule-set-type OWASP --rule-set-version 3.2")
    else:
        steps.append(f"Upgrade {gateway.name} ({gateway.sku_tier or 'no WAF'}) to WAF_v2 and "
                     "associate a WAF policy in Prevention mode.")
        policy = f"waf-{gateway.name}"
        az += [f"az network application-gateway waf-policy create --resource-group {rg} "
               f"--name {policy} --location {gateway.region} --type Microsoft_DefaultRuleSet "
               "--version 2.1",
               f"az network application-gateway waf-policy policy-setting update "
               f"--resource-group {rg} --policy-name {policy} --state Enabled --mode Prevention",
               f"az network application-gateway update --resource-group {rg} --name "
               f"{gateway.name} --set sku.name=WAF_v2 sku.tier=WAF_v2 "
               f"firewallPolicy.id=$(az network application-gateway waf-policy show "
               f"--resource-group {rg} --name {policy} --query id --output tsv)"]


def _direct_fix(topology: Topology, cluster: Cluster, entry: Entry, gateway: AppGateway | None,
                steps: list[str], az: list[str]) -> None:
    via = (f"App Gateway {gateway.name} (WAF_v2, Prevention)" if gateway
           else "an App Gateway WAF_v2 (or Application Gateway for Containers with WAF)")
    if entry.kind is EntryKind.LOAD_BALANCER:
        steps.append(f"Find the LoadBalancer service behind {entry.public_ip or entry.target} "
                     f"(kubectl get service --all-namespaces | grep {entry.public_ip or 'EXTERNAL-IP'}"
                     "), make it internal with the annotation service.beta.kubernetes.io/"
                     f"azure-load-balancer-internal: \"true\", and publish it through {via}.")
        az.append(f"az aks get-credentials --resource-group {cluster.resource_group} "
                  f"--name {cluster.name}")
    else:
        steps.append(f"Point DNAT rule {entry.rule} at {via}'s private frontend instead of "
                     f"{entry.target}, or remove it and publish through the gateway's public "
                     "listener.")
        if gateway and (private := next((f.private_ip for f in gateway.frontends
                                         if f.private_ip), "")):
            parts = [p.strip() for p in entry.rule.split("›")]
            if len(parts) == 4:
                policy, group, collection, rule = parts
                # the rule may come from a base policy: look the policy up by the label's name
                owner = next((p for p in topology.policies if p.name == policy), None)
                fw_policy = owner.resource_group if owner else "<firewall-policy-rg>"
                az.append("az extension add --upgrade --name azure-firewall")
                az.append(f"az network firewall policy rule-collection-group collection rule "
                          f"update --resource-group {fw_policy} --policy-name {policy} "
                          f"--rule-collection-group-name {group} --collection-name {collection} "
                          f"--name {rule} --translated-address {private}")


def _suggested_gateway(topology: Topology, cluster: Cluster) -> AppGateway | None:
    """A WAF_v2 gateway in one of the cluster's VNets (or a peer), to publish through."""
    vnets = {ids.key(ids.parent_of(s)) for s in topology.cluster_node_subnet_ids(cluster)}
    for gateway in topology.app_gateways:
        if gateway.sku_tier.lower() != "waf_v2" or not gateway.subnet_ids:
            continue
        vnet_key = ids.key(ids.parent_of(gateway.subnet_ids[0]))
        vnet = topology.vnet(vnet_key)
        peers = {ids.key(p.remote_vnet_id) for p in vnet.peerings} if vnet else set()
        if ({vnet_key} | peers) & vnets:
            return gateway
    return None


def _policy_names(topology: Topology, cluster: Cluster, failing: list[Entry],
                  gateway: AppGateway | None) -> tuple[str, str]:
    for entry in failing:
        if entry.waf.policy_id:
            return ids.name_of(entry.waf.policy_id), ids.resource_group_of(entry.waf.policy_id) or ""
    if gateway and gateway.waf_policy_id:
        return ids.name_of(gateway.waf_policy_id), ids.resource_group_of(gateway.waf_policy_id) or ""
    name = gateway.name if gateway else cluster.name
    return f"waf-{name}", gateway.resource_group if gateway else cluster.resource_group


def _bicep(policy: str, region: str, gateway: AppGateway | None) -> str:
    association = (f"// On App Gateway '{gateway.name}' (sku WAF_v2):\n"
                   "//   properties: { firewallPolicy: { id: wafPolicy.id } }\n" if gateway else
                   "// Associate it with your App Gateway (sku WAF_v2):\n"
                   "//   properties: { firewallPolicy: { id: wafPolicy.id } }\n")
    api = "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies@2024-05-01"
    return f"""resource wafPolicy '{api}' = {{
  name: '{policy}'
  location: '{region}'
  properties: {{
    policySettings: {{
      state: 'Enabled'
      mode: 'Prevention'
      requestBodyCheck: true
    }}
    managedRules: {{
      managedRuleSets: [
        {{
          ruleSetType: 'Microsoft_DefaultRuleSet'
          ruleSetVersion: '2.1'
        }}
      ]
    }}
  }}
}}

{association}"""


def _terraform(policy: str, rg: str, region: str, gateway: AppGateway | None) -> str:
    where = f'azurerm_application_gateway "{gateway.name}"' if gateway else "your azurerm_application_gateway"
    return f"""resource "azurerm_web_application_firewall_policy" "{policy.replace('-', '_')}" {{
  name                = "{policy}"
  resource_group_name = "{rg}"
  location            = "{region}"

  policy_settings {{
    enabled            = true
    mode               = "Prevention"
    request_body_check = true
  }}

  managed_rules {{
    managed_rule_set {{
      type    = "Microsoft_DefaultRuleSet"
      version = "2.1"
    }}
  }}
}}

# In {where}:
#   sku {{ name = "WAF_v2"  tier = "WAF_v2" }}
#   firewall_policy_id = azurerm_web_application_firewall_policy.{policy.replace('-', '_')}.id
"""


CHECK = Check(
    id="waf-in-front",
    title="Every public entry to the cluster passes an App Gateway WAF in Prevention mode",
    subjects=(Subject.CLUSTER,),
    severity=Severity.HIGH,
    passes_when=(
        "every public entry to the cluster (a public load balancer frontend with inbound rules, a "
        "public App Gateway listener routed to the cluster, a firewall DNAT rule to the cluster's "
        "addresses) passes an App Gateway WAF_v2 whose applying WAF policy (path rule's, else "
        "listener's, else gateway's) or legacy WAF configuration is enabled in Prevention mode."
    ),
    rationale=(
        "Azure Firewall filters by address, port and FQDN; it does not inspect HTTP requests for "
        "injection, traversal or protocol abuse, and its threat intelligence only blocks known-bad "
        "addresses. Only a web application firewall blocks those attacks, and only in Prevention "
        "mode: Detection logs them and lets them through. A public LoadBalancer service or a DNAT "
        "rule to the cluster skips the WAF entirely."
    ),
    references=(
        "https://learn.microsoft.com/azure/architecture/reference-architectures/containers/aks/baseline-aks",
        "https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview",
        "https://learn.microsoft.com/azure/web-application-firewall/ag/policy-overview",
        "https://learn.microsoft.com/azure/aks/limit-egress-traffic",
    ),
    evaluate=evaluate,
)
