"""Typed views over raw ARM resources, and the topology graph built from them."""
