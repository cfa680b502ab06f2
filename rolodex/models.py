"""Every table, imported in one place so that metadata and migrations see them all."""

from rolodex.accounts.models import Account, ApiKey, User
from rolodex.accounts.versions import CredentialVersion
from rolodex.appointments.models import Appointment
from rolodex.audit.models import AuditEntry
from rolodex.companies.models import Company
from rolodex.contacts.models import Contact
from rolodex.dashboard.models import DashboardSession
from rolodex.db import Base
from rolodex.deployment_keys.models import DeploymentKey
from rolodex.dialects.numbers import RecordNumber
from rolodex.events.models import Event, EventSequence
from rolodex.flows.models import Flow, FlowWrite
from rolodex.idempotency.models import IdempotencyRecord
from rolodex.integrations.changes.models import ChangeConsumer, ChangeStream, RemoteChange
from rolodex.integrations.models import (
    Connection,
    ConnectionBudget,
    ConnectionOAuthState,
    ConnectionUsage,
    IntegrationJob,
    IntegrationLease,
)
from rolodex.notes.models import Note
from rolodex.oauth.models import OAuthClient, OAuthCode, OAuthToken
from rolodex.runs.models import Run
from rolodex.syncs.models import Link, Sync, SyncWrite
from rolodex.tags.models import Tag, company_tags, contact_tags
from rolodex.tasks.models import Task
from rolodex.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "ApiKey",
    "Appointment",
    "AuditEntry",
    "Base",
    "ChangeConsumer",
    "ChangeStream",
    "Company",
    "Connection",
    "ConnectionBudget",
    "ConnectionOAuthState",
    "ConnectionUsage",
    "Contact",
    "CredentialVersion",
    "DashboardSession",
    "DeploymentKey",
    "Event",
    "EventSequence",
    "Flow",
    "FlowWrite",
    "IdempotencyRecord",
    "IntegrationJob",
    "IntegrationLease",
    "Link",
    "Note",
    "OAuthClient",
    "OAuthCode",
    "OAuthToken",
    "RecordNumber",
    "RemoteChange",
    "Run",
    "Sync",
    "SyncWrite",
    "Tag",
    "Task",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "company_tags",
    "contact_tags",
]
