"""``nfm backup`` / ``nfm restore``: one archive holding a consistent database snapshot, the evidence files
and a manifest of counts and hashes that a restore checks before it trusts anything (docs/backup.md)."""
