"""Writers for findings: the JSON document (DESIGN §7) and the readable terminal report."""
