"""Tags: account-wide labels on contacts and companies."""
