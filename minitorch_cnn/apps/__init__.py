"""Floor 8: the applications — training loop, evaluation, checkpoints, CLI, plots."""
