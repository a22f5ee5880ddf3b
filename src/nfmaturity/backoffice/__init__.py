"""The back office: organisations, members, invitations and the audit log, for the platform admin and,
within their jurisdiction and read-only, regulators."""
