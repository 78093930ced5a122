"""Calls Pledge makes to the outside world on a customer's behalf: the egress rule, signing."""
