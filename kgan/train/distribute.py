"""Distribution strategies and input sharding for `GAN.fit`.

`kgan.GAN` is written for `tf.distribute`: build and compile it inside
`strategy.scope()` and call `fit` with the *global* batch size; Keras splits
every batch across the replicas. The latents of a step are drawn for the
global batch and sliced per replica, and the losses are scaled by the number
of replicas, so N replicas take the step that one device takes on the same
batch (up to float rounding; exactly so only for networks without batch
normalization, which computes its statistics per replica).

Example:
    >>> strategy = get_strategy("mirrored")  # doctest: +SKIP
    >>> with strategy.scope():  # doctest: +SKIP
    ...     gan = kgan.GAN(*kgan.networks.dcgan(64, (28, 28, 1)), seed=0)
    ...     gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4))
    >>> gan.fit(prepare_dataset(kgan.data.load("mnist", batch_size=256)))  # doctest: +SKIP

For several machines, start the same program on each with a `TF_CONFIG`
that lists every worker and names this one (see `tf_config`), and use
`get_strategy("multi_worker")`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import tensorflow as tf

# The public helpers of `kgan.distribute` that live in the wings which use them.
from kgan.core.replicas import num_replicas, replica_slice
from kgan.data.pipeline import prepare_dataset

__all__ = [
    "STRATEGIES",
    "get_strategy",
    "is_chief",
    "num_replicas",
    "prepare_dataset",
    "replica_slice",
    "split_cpu",
    "task_folder",
    "tf_config",
]

from kgan.train.config import STRATEGIES  # the names are the config's


def get_strategy(
    name: str = "default",
    *,
    devices: Sequence[str] | None = None,
    tpu: str = "",
) -> tf.distribute.Strategy:
    """Returns the `tf.distribute.Strategy` called `name`.

    Args:
        name: one of `STRATEGIES`:
            - "default": the default strategy (one device, no distribution);
            - "mirrored": `MirroredStrategy` over `devices`, all local GPUs by
              default; without GPUs, the logical CPUs that `split_cpu` made
              (the CPU alone when it was not split);
            - "multi_worker": `MultiWorkerMirroredStrategy`, which reads the
              cluster from the `TF_CONFIG` environment variable (one worker
              when it is unset);
            - "tpu": `TPUStrategy` on the TPU named by `tpu` ("" for the
              one attached to this VM), after initializing it.
        devices: for "mirrored", the devices to mirror on, e.g.
            `["/gpu:0", "/gpu:1"]`.
        tpu: for "tpu", the TPU's name or address.

    Returns:
        The strategy. Create it once per process, before any model: build and
        compile the GAN inside `strategy.scope()`.

    Raises:
        ValueError: for an unknown name, or `devices` with another strategy.

    Example:
        >>> get_strategy("default").num_replicas_in_sync
        1
    """
    if name not in STRATEGIES:
        raise ValueError(f"Unknown strategy={name!r}. Expected one of {list(STRATEGIES)}.")
    if devices is not None and name != "mirrored":
        raise ValueError(f"devices= applies to the 'mirrored' strategy, not {name!r}.")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if devices is None and not tf.config.list_logical_devices("GPU"):
            cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
            devices = cpus if len(cpus) > 1 else None
        return tf.distribute.MirroredStrategy(devices=None if devices is None else list(devices))
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def split_cpu(replicas: int) -> list[str]:
    """Splits the CPU into `replicas` logical devices and returns their names.

    With them, `get_strategy("mirrored", devices=split_cpu(2))` runs two
    replicas on one CPU: a way to check a distributed setup without GPUs.
    Call it before TensorFlow initializes its devices (before the first op).

    Raises:
        ValueError: for `replicas < 1`.
        RuntimeError: when TensorFlow has already initialized its devices.
    """
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        raise ValueError(f"replicas must be a positive integer; got replicas={replicas!r}.")
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is None or len(current) != replicas:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)]
        )
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def tf_config(workers: Sequence[str], index: int) -> str:
    """The `TF_CONFIG` JSON of worker `index` in a cluster of `workers` ("host:port").

    Every worker gets the same list, in the same order, and its own index;
    worker 0 is the chief.

    Example:
        >>> tf_config(["10.0.0.1:12345", "10.0.0.2:12345"], 1)
        '{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]}, "task": {"type": "worker", "index": 1}}'
    """  # noqa: E501
    workers = list(workers)
    if not workers:
        raise ValueError("workers must list at least one 'host:port'.")
    if not 0 <= index < len(workers):
        raise ValueError(f"index must be in [0, {len(workers)}); got index={index!r}.")
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def is_chief() -> bool:
    """True unless `TF_CONFIG` makes this process a worker other than the chief.

    The chief is the "chief" task when the cluster has one, else worker 0.
    Under "multi_worker" every worker runs the whole program; only the chief
    should write the run folder (the others can write to a temporary one).
    """
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task") or {}
    if not task or task.get("type") == "chief":
        return True
    return (
        task.get("type") == "worker"
        and "chief" not in config.get("cluster", {})
        and int(task.get("index", 0)) == 0
    )


def task_folder(workdir: str | os.PathLike) -> Path:
    """Where this process writes: `workdir` on the chief, `workdir/<type>_<index>` elsewhere.

    Under "multi_worker" every worker runs the whole program, checkpoints
    included; the chief owns the run folder and every other worker keeps its
    own files (and resumes from its own checkpoints) in a sub-folder, so that
    workers sharing a file system never write the same file.

    Example:
        >>> str(task_folder("runs/a"))  # without TF_CONFIG
        'runs/a'
    """
    workdir = Path(workdir)
    if is_chief():
        return workdir
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    return workdir / f"{task['type']}_{int(task['index'])}"


def check_same_step(step: int, folder: str | os.PathLike) -> None:
    """Under MultiWorkerMirroredStrategy: every worker must resume from the same step.

    Each worker resumes from its own folder; if one lost a checkpoint (or holds another
    run), the workers would train different models in lockstep. Called by every worker
    at the same point (it is a collective: inside the strategy's scope).

    Raises:
        ValueError: the workers' steps differ (on every worker, naming its own step).
    """
    strategy = tf.distribute.get_strategy()
    value = float(step)
    mean = strategy.reduce(
        tf.distribute.ReduceOp.MEAN, strategy.run(lambda: tf.constant(value, tf.float64)),
        axis=None,
    )  # fmt: skip
    mean = float(mean)
    spread = strategy.reduce(
        tf.distribute.ReduceOp.SUM,
        strategy.run(lambda: tf.constant(abs(value - mean), tf.float64)),
        axis=None,
    )
    if float(spread) > 0:
        raise ValueError(
            f"The workers would resume from different steps: {str(folder)!r} is at step "
            f"{step}, the workers' mean is {mean:g}. Restore the same checkpoints in every "
            "worker's folder, or start over with resume=False (--noresume) on all of them."
        )
