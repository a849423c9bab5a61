"""``mt.backends.cudnn``: scripts set ``benchmark``/``deterministic``; convolutions here do not go through cuDNN
(our own kernels, deterministic already), so the flags are kept and change nothing."""

benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available() -> bool:
    """cuDNN is never used here."""
    return False
