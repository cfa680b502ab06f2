"""The kinds of integration jobs and their handlers.

A new kind of work (a sync run) adds its handler here: the workers claim jobs of every
kind listed, and only those.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rolodex.flows.dispatch import FLOW_JOB, WATCH_JOB
from rolodex.flows.handler import run_flow, watch_changes
from rolodex.integrations.changes.polling import run_poll
from rolodex.integrations.changes.schedule import POLL_JOB
from rolodex.integrations.operations import OPERATION_JOB, run_operation
from rolodex.integrations.worker import JobHandler
from rolodex.syncs.handler import run_sync
from rolodex.syncs.runs import SYNC_JOB
from rolodex.syncs.triggers import WATCH_JOB as SYNC_WATCH_JOB
from rolodex.syncs.triggers import watch_changes as watch_sync_changes

HANDLERS: Mapping[str, JobHandler] = MappingProxyType(
    {
        OPERATION_JOB: run_operation,
        POLL_JOB: run_poll,
        SYNC_JOB: run_sync,
        FLOW_JOB: run_flow,
        WATCH_JOB: watch_changes,
        SYNC_WATCH_JOB: watch_sync_changes,
    }
)
"""Every kind of job by name."""
