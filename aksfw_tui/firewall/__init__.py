"""Azure Firewall rule evaluation: what a firewall does with a flow, and which rule decided it."""
