"""Field types MOCO's request bodies share.

Types are strict where MOCO's are unambiguous (an id is a JSON integer, not ``"12"``), so
that input which breaks the documented schema is refused rather than guessed at. The
content rules (lengths, email syntax, storable text) are the native schemas', applied
after translation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from rolodex.dialects.moco.refs import MAX_NUMBER
from rolodex.validation import clean_text

Text = Annotated[str, Field(max_length=255), AfterValidator(clean_text)]
LongText = Annotated[str, Field(max_length=65_536), AfterValidator(clean_text)]
Number = Annotated[StrictInt, Field(ge=1, le=MAX_NUMBER)]
"""A MOCO id."""
Timestamp = datetime
"""Shown as ``2018-10-17T09:33:46Z``."""


class Body(BaseModel):
    """A MOCO request body: fields Rolodex does not know are ignored, as MOCO does, so
    that what a GET answered can be sent back."""

    model_config = ConfigDict(extra="ignore")

    def sent(self) -> dict[str, Any]:
        """The fields the client sent, with their values."""
        return self.model_dump(exclude_unset=True)
