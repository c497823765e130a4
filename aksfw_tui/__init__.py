"""aksfw-tui: audit how AKS clusters are protected by Azure Firewall."""

__version__ = "0.1.0"
