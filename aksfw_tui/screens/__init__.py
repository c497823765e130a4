"""The app's screens: one per module. They render engine objects and hold no audit logic."""
