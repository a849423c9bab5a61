"""Loss and accuracy curves as a PNG (matplotlib is only needed here)."""

from __future__ import annotations

from pathlib import Path


def plot_history(history: dict, path: str | Path) -> None:
    """Two panels, loss and accuracy per epoch, train and validation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = history["epochs"]
    epochs = [r["epoch"] for r in rows]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [r["train_loss"] for r in rows], "o-", label="train")
    ax_acc.plot(epochs, [100 * r["train_accuracy"] for r in rows], "o-", label="train")
    if "val_loss" in rows[0]:
        ax_loss.plot(epochs, [r["val_loss"] for r in rows], "s-", label="validation")
        ax_acc.plot(epochs, [100 * r["val_accuracy"] for r in rows], "s-", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    cfg = history.get("config", {})
    fig.suptitle(f"{cfg.get('model', '')} on {cfg.get('dataset', '')}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
