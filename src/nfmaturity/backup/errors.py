"""The one error kind of backup and restore: a refusal or a corrupt archive, worded for the operator."""

from __future__ import annotations


class BackupError(Exception):
    """Refused or corrupt; the message is Chinese and names the file or table concerned."""
