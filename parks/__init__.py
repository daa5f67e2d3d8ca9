"""The domain of the park land ledger: vocabulary, units, the manufacturing-land rule,
change-set operations and the errors they raise. Plain Python; no web framework,
no database and no geometry library here."""
