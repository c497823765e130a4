"""`python -m aksfw_tui` runs the command line."""

from aksfw_tui.cli import main

raise SystemExit(main())
