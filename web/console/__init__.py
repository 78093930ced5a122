"""The staff console's pages: one module per area, each with its own router."""
