"""Replica arithmetic for the game: how many replicas, and this replica's share.

`kgan.GAN` draws random numbers for the *global* batch and slices them per
replica, and scales its losses by the replica count, so N replicas take the
step one device takes on the same batch.
"""

from __future__ import annotations

import tensorflow as tf


def num_replicas() -> int:
    """Replicas in sync under the current strategy (1 outside any)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def replica_slice(global_tensor, local_size):
    """This replica's rows of a tensor that every replica computed identically.

    Random draws made inside a replica (latents, per-sample coefficients)
    should be drawn for the *global* batch, identically on every replica, and
    sliced with this: N replicas then use exactly the numbers one device
    would, instead of N copies of the first `local_size` ones.

    Args:
        global_tensor: a tensor whose first axis is `local_size * num_replicas()`.
        local_size: this replica's batch size.

    Returns:
        Rows `[r * local_size, (r + 1) * local_size)` for replica `r`.
    """
    if num_replicas() == 1:
        return global_tensor
    replica_id = tf.distribute.get_replica_context().replica_id_in_sync_group
    return global_tensor[replica_id * local_size : (replica_id + 1) * local_size]
