"""Every example of the README and docs/*.md, run as pasted against a live server."""
