"""Every workflow the worker runs: the SLA work on its task queue, monitors on theirs."""

from workflows.account_success import AccountSuccessWorkflow
from workflows.complaint import ComplaintWorkflow
from workflows.huddle import HuddleWorkflow
from workflows.incident import IncidentWorkflow
from workflows.mailbox import MailboxWorkflow
from workflows.maintenance import MaintenanceWorkflow
from workflows.monitor import MonitorWorkflow
from workflows.onboarding import OnboardingWorkflow
from workflows.release import ReleaseWorkflow
from workflows.report import MonthlyReportWorkflow
from workflows.review import ReviewWorkflow
from workflows.review_actions import ReviewActionsWorkflow
from workflows.system_check import SystemCheckWorkflow
from workflows.ticket import TicketWorkflow
from workflows.uptime_rollup import UptimeRollupWorkflow

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
    IncidentWorkflow,
    MaintenanceWorkflow,
    HuddleWorkflow,
    MailboxWorkflow,
]

# On the monitors' own task queue (Settings.effective_monitor_task_queue), so a thousand
# probes never delay a deadline.
# The uptime roll-up runs there too: it reads what the probes write.
MONITOR_WORKFLOWS: list[type] = [MonitorWorkflow, UptimeRollupWorkflow]
