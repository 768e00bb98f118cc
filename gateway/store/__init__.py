"""The message store: tables, sessions, migrations, payload bytes and the audit trail."""
