"""Writing land changes: opening a change set, applying its operations, judging it by the
rule before commit, and recording refusals."""
