"""The audit log: every administrative action and every login, with who, when, from where, before/after."""
