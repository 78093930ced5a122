"""Every workflow the worker runs. Workflows orchestrate only: timers, signals, updates, queries."""

from workflows.release import ReleaseWorkflow
from workflows.system_check import SystemCheckWorkflow
from workflows.ticket import TicketWorkflow

WORKFLOWS: list[type] = [SystemCheckWorkflow, TicketWorkflow, ReleaseWorkflow]
