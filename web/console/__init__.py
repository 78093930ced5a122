"""The staff console's pages, one module per area (each a router registered in api/app.py)."""
