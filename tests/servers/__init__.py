"""Real servers started on loopback for the tests that need them (skipped when not installed)."""
