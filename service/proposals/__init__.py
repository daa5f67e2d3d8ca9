"""Proposals: a change set proposed by one official, stored with its dry run, and applied
only when a second official approves it (two-step approval, 审核)."""
