"""The ``deployment_keys`` table: one row per named key pair of the deployment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolodex.db import Base, UTCDateTime, utcnow


class DeploymentKey(Base):
    """A key pair the whole deployment shares (HighLevel webhook signatures…).

    ``public_key`` is the SubjectPublicKeyInfo PEM, public by nature. The private key is
    stored only as ``private_key_ciphertext``: its PKCS #8 PEM, Fernet-encrypted with a
    key derived from the deployment's key ring (:mod:`rolodex.deployment_keys.store`).
    A row is written once, by whichever process first needs the pair, and never changed
    except by ``rolodex rekey``, which encrypts the same private key again.
    """

    __tablename__ = "deployment_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(32), nullable=False)
    public_key: Mapped[str] = mapped_column(Text, nullable=False)
    private_key_ciphertext: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
