"""Every workflow the worker runs."""

from workflows.complaint import ComplaintWorkflow
from workflows.release import ReleaseWorkflow
from workflows.system_check import SystemCheckWorkflow
from workflows.ticket import TicketWorkflow

WORKFLOWS: list[type] = [SystemCheckWorkflow, TicketWorkflow, ReleaseWorkflow, ComplaintWorkflow]
