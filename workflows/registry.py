"""Every workflow the worker runs."""

from workflows.account_success import AccountSuccessWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.onboarding import OnboardingWorkflow
from workflows.release import ReleaseWorkflow
from workflows.report import MonthlyReportWorkflow
from workflows.review import ReviewWorkflow
from workflows.review_actions import ReviewActionsWorkflow
from workflows.system_check import SystemCheckWorkflow
from workflows.ticket import TicketWorkflow

WORKFLOWS: list[type] = [
    SystemCheckWorkflow,
    TicketWorkflow,
    ReleaseWorkflow,
    ComplaintWorkflow,
    AccountSuccessWorkflow,
    MonthlyReportWorkflow,
    OnboardingWorkflow,
    ReviewWorkflow,
    ReviewActionsWorkflow,
]
