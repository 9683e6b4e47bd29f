"""Administrators' commands: provisioning SharePoint, previewing the digest. Run with `python -m`."""
