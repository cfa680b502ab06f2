"""The Rolodex client library: ``Rolodex`` (synchronous) and ``AsyncRolodex``.

```python
import os

from rolodex.client import Rolodex

with Rolodex(api_key=os.environ["ROLODEX_API_KEY"], base_url="https://crm.example.com") as client:
    for contact in client.contacts.list(updated_after="2026-11-01T00:00:00Z"):
        print(contact.id, contact.name)
```

It depends on httpx and pydantic only, never on the server's code.
"""

from rolodex.client._client import AsyncRolodex, Rolodex
from rolodex.client._core import RetryPolicy
from rolodex.client.errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    MethodNotAllowedError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    PreconditionFailedError,
    RateLimitError,
    RolodexError,
    ServerError,
    UnprocessableError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from rolodex.client.models import (
    ApiKey,
    Appointment,
    AuditEntry,
    BatchResult,
    Company,
    Contact,
    Note,
    Tag,
    Task,
    User,
)
from rolodex.client.pagination import AsyncPager, Page, Pager

__all__ = [
    "APIConnectionError",
    "APIError",
    "ApiKey",
    "Appointment",
    "AsyncPager",
    "AsyncRolodex",
    "AuditEntry",
    "AuthenticationError",
    "BatchResult",
    "Company",
    "ConfigurationError",
    "ConflictError",
    "Contact",
    "MethodNotAllowedError",
    "NotFoundError",
    "Note",
    "Page",
    "Pager",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimitError",
    "RetryPolicy",
    "Rolodex",
    "RolodexError",
    "ServerError",
    "Tag",
    "Task",
    "UnprocessableError",
    "UnsupportedMediaTypeError",
    "User",
    "ValidationError",
]
