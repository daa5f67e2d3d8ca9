"""The auditor's side: totals as of any moment, the ledger, parcel history, refusals,
independent reconciliation of the ledger with the parcels' history, and reports."""
