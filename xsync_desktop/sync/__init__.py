"""The sync engine: plan, push, pull, reconcile, retry. Plain Python, no Qt."""
