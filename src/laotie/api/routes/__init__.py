"""One router module per area."""
