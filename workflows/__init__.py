"""Every workflow the worker runs. Workflows orchestrate only: timers, signals, updates, queries."""

from workflows.system_check import SystemCheckWorkflow

WORKFLOWS: list[type] = [SystemCheckWorkflow]
