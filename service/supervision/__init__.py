"""Land supervision: supply contracts and progress, idle-land clocks, approval batches,
contract compliance, the 亩均效益 evaluation and the monthly supervision report."""
