"""SummaryWriter: torch.utils.tensorboard's writer over tensorboardX, taking ember tensors."""
import os
import sys
import tempfile
import time

import numpy as np


def _import_tensorboardx():
    # NOTE: tensorboardX imports torch when it can, only to accept torch tensors: seconds of
    # start-up that ember does not need. Hide torch during that import unless the program has
    # already loaded it; `import torch` keeps working afterwards.
    hide = "torch" not in sys.modules
    if hide:
        sys.modules["torch"] = None
    try:
        import tensorboardX
    except ImportError:  # pragma: no cover - exercised via monkeypatch in the tests
        return None
    finally:
        if hide and sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return tensorboardX


_tbx = _import_tensorboardx()


def _require():
    if _tbx is None:
        raise ImportError("ember.utils.tensorboard needs tensorboardX: "
                          "pip install ember[logging]  (or: pip install tensorboardX)")
    return _tbx


def _np(x):
    """ember Tensor (or anything array-like) -> NumPy array, detached."""
    data = getattr(x, "_data", None)
    if data is not None and hasattr(x, "grad_fn"):
        return np.asarray(data)
    return np.asarray(x)


def _scalar(x):
    if hasattr(x, "_data") and hasattr(x, "grad_fn"):
        a = np.asarray(x._data)
        if a.size != 1:
            raise ValueError(f"add_scalar expects a single value, got a tensor of shape "
                             f"{tuple(a.shape)}")
        return a.reshape(()).item()
    if isinstance(x, np.ndarray):
        return x.reshape(()).item()
    return x


_uid = [0]


def _unique(suffix):
    _uid[0] += 1
    return f".{os.getpid()}.{_uid[0]}{suffix}"


def _step(step):
    return None if step is None else int(_scalar(step))


def _check_writable(log_dir):
    try:
        os.makedirs(log_dir, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".ember_probe", dir=log_dir)
        os.close(fd)
        os.remove(probe)
    except OSError as e:
        # keep the OSError subclass (PermissionError, NotADirectoryError...) but say what failed
        raise type(e)(
            f"SummaryWriter: cannot write event files to log directory {log_dir!r} "
            f"({e.strerror or e}). Choose a writable log_dir.") from e


def _drain(event_writer):
    """Wait until the events queued on a tensorboardX event writer are in its file.

    NOTE: tensorboardX's flush only flushes the file: events still in the queue of its
    writer thread are written later, so a reader right after flush() can miss them. Stopping
    the thread writes everything queued before the stop (the queue is FIFO); a new thread
    then serves the same queue and file."""
    worker = getattr(event_writer, "_worker", None)
    if worker is None or getattr(event_writer, "_closed", True):
        return
    try:
        worker.stop()
        event_writer._ev_writer.flush()
        event_writer._worker = type(worker)(event_writer._event_queue,
                                            event_writer._ev_writer, event_writer._flush_secs)
    except AttributeError:  # pragma: no cover - a tensorboardX with other internals
        return
    event_writer._worker.start()


class SummaryWriter:
    """Write TensorBoard event files (torch.utils.tensorboard.SummaryWriter).

    Args:
        log_dir: directory for the event files; default ``runs/CURRENT_DATETIME_HOSTNAME``.
        comment: suffix added to the default log_dir.
        purge_step, max_queue, flush_secs, filename_suffix: as in PyTorch.

    Values may be ember tensors, NumPy arrays or Python numbers. Use as a context manager or
    call ``close()``.

    Example::

        >>> with SummaryWriter("runs/exp1") as w:
        ...     for step in range(3):
        ...         w.add_scalar("loss", 1.0 / (step + 1), step)
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        tbx = _require()
        if log_dir is None:
            import socket
            from datetime import datetime

            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        _check_writable(self.log_dir)
        # NOTE: event files are named like PyTorch's, events.out.tfevents.<time>.<host>.<pid>.
        # <uid><suffix>: tensorboardX alone names them by the second, so a writer reopened
        # within the same second (log, close, log again) would overwrite the first file.
        self._suffix = filename_suffix
        self._writer = tbx.SummaryWriter(self.log_dir, purge_step=purge_step,
                                         max_queue=max_queue, flush_secs=flush_secs,
                                         filename_suffix=_unique(filename_suffix))
        self._closed = False

    def get_logdir(self):
        return self.log_dir

    def _w(self):
        # Like PyTorch, logging after close() reopens the writer: the events go to a new
        # event file in the same log_dir (the tensorboard tutorial closes and keeps logging).
        if self._closed:
            self._writer._filename_suffix = _unique(self._suffix)
            self._closed = False
        return self._writer

    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None,
                   new_style=False, double_precision=False):
        self._w().add_scalar(tag, float(_scalar(scalar_value)), _step(global_step), walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """One scalar per key, each key in its own run ``<log_dir>/<main_tag>_<key>`` (PyTorch's
        layout; tensorboardX alone nests them as ``<main_tag>/<key>``)."""
        w = self._w()
        root = w._get_file_writer().get_logdir()
        walltime = time.time() if walltime is None else walltime
        step = _step(global_step)
        for tag, value in tag_scalar_dict.items():
            fw_tag = root + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = w.all_writers.get(fw_tag)
            if fw is None:
                fw = _tbx.writer.FileWriter(fw_tag, w._max_queue, w._flush_secs,
                                            w._filename_suffix)
                w.all_writers[fw_tag] = fw
            fw.add_summary(_tbx.summary.scalar(main_tag, float(_scalar(value))), step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        arr = _np(values).astype(np.float64, copy=False).reshape(-1)
        if arr.size == 0:
            raise ValueError(f"add_histogram({tag!r}): the input has no values")
        self._w().add_histogram(tag, arr, _step(global_step), bins, walltime, max_bins)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        self._w().add_image(tag, _np(img_tensor), _step(global_step), walltime,
                            dataformats=dataformats)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        self._w().add_images(tag, _np(img_tensor), _step(global_step), walltime,
                             dataformats=dataformats)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        self._w().add_figure(tag, figure, _step(global_step), close, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._w().add_text(tag, text_string, _step(global_step), walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        hp = {k: _scalar(v) for k, v in hparam_dict.items()}
        metrics = {k: float(_scalar(v)) for k, v in metric_dict.items()}
        # NOTE: tensorboardX infers the domains itself; hparam_domain_discrete is accepted
        # for PyTorch compatibility. Like PyTorch, the run goes to a sub-directory.
        self._w().add_hparams(hp, metrics, name=run_name, global_step=_step(global_step))

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The model's graph for TensorBoard's Graphs tab. PyTorch traces it with torch.jit;
        ember runs one forward pass and reads the graph off autograd (see _graph.py)."""
        from ember.utils.tensorboard._graph import build_graph, protos

        if input_to_model is None:
            raise ValueError("add_graph needs input_to_model: ember builds the graph from one "
                             "forward pass of the model on it")
        graph = build_graph(model, input_to_model, protos(_require()))
        if verbose:
            print(graph)
        self._w()._get_file_writer().add_onnx_graph(graph)

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        self._w().add_embedding(_np(mat), metadata,
                                None if label_img is None else _np(label_img),
                                _step(global_step), tag, metadata_header)

    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127,
                     weights=None, walltime=None):
        self._w().add_pr_curve(tag, _np(labels), _np(predictions), _step(global_step),
                               num_thresholds, None if weights is None else _np(weights),
                               walltime)

    def flush(self):
        """Write every pending event to disk (as PyTorch's flush does)."""
        if not self._closed:
            for fw in (self._writer.all_writers or {}).values():
                _drain(getattr(fw, "event_writer", None))
            self._writer.flush()

    def close(self):
        if not self._closed:
            self._writer.close()
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()

    def __repr__(self):
        return f"SummaryWriter(log_dir={self.log_dir!r})"
