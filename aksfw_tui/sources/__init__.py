"""Where ARM resources come from: the bundled demo, an export on disk (and later, live Azure)."""
