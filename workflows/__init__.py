"""Temporal workflows: orchestration only (timers, signals, updates, queries).

The list the worker registers is in workflows.registry, not here: every workflow run imports
this package inside the sandbox, and importing every workflow module each time is wasted work.
"""
