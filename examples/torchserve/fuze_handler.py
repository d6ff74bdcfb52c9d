"""TorchServe handler that serves a TorchScript model with fuze's fused kernels.

Package it with your traced/scripted model:

    torch-model-archiver --model-name mlp --version 1.0 \
        --serialized-file mlp.pt --handler fuze_handler.py --export-path model_store

Loading libfuze_torchscript.so before the model is all it takes: the library's
static initializer enables fuze's TorchScript pre-pass, so the model's
elementwise chains run as fused kernels once TorchScript optimizes it (first
call). BaseHandler.inference runs the model under torch.inference_mode(), which
fusion needs (groups whose inputs require grad fall back).

The library is found through FUZE_TORCHSCRIPT_LIBRARY (a path), else through
the installed Python package (fuze.torchscript_library()).

Request body: JSON, either a list of rows or {"data": rows} where rows is a
list of equal-length lists of numbers (one batch). Response: {"output": rows}.
Add "fuze_stats": true to a {"data": ...} request to get fuze's counters
(torch.ops.fuze.stats()) back as "fuze_stats"; every FUZE_STATS_LOG_EVERY-th
batch (default 100, 0 = never) also logs them as a "fuze stats: {...}" line.
"""

import json
import logging
import os

import torch
from ts.torch_handler.base_handler import BaseHandler

logger = logging.getLogger(__name__)


def fuze_library_path():
    path = os.environ.get("FUZE_TORCHSCRIPT_LIBRARY")
    if path:
        return path
    import fuze  # the pip-installed package ships the library

    return fuze.torchscript_library()


def fuze_stats():
    return {key: int(value) for key, value in torch.ops.fuze.stats().items()}


class FuzeHandler(BaseHandler):
    def __init__(self):
        super().__init__()
        self.batches = 0
        self.log_every = int(os.environ.get("FUZE_STATS_LOG_EVERY", "100"))

    def initialize(self, context):
        path = fuze_library_path()
        # Before super().initialize(), which torch.jit.load()s the model.
        torch.ops.load_library(path)
        logger.info("fuze: loaded %s, stats %s", path, fuze_stats())
        super().initialize(context)

    def preprocess(self, data):
        # One entry per request in the TorchServe batch; each holds a batch of rows.
        self.sizes, self.want_stats, rows = [], [], []
        for request in data:
            body = request.get("data") or request.get("body")
            if isinstance(body, (bytes, bytearray)):
                body = json.loads(body)
            wants = False
            if isinstance(body, dict):
                wants = bool(body.get("fuze_stats", False))
                body = body["data"]
            self.sizes.append(len(body))
            self.want_stats.append(wants)
            rows.extend(body)
        return torch.as_tensor(rows, dtype=torch.float32, device=self.device)

    def postprocess(self, data):
        self.batches += 1
        stats = fuze_stats()
        if self.log_every > 0 and self.batches % self.log_every == 0:
            logger.info("fuze stats: %s", json.dumps(stats))
        responses, start = [], 0
        for size, wants in zip(self.sizes, self.want_stats):
            response = {"output": data[start : start + size].tolist()}
            if wants:
                response["fuze_stats"] = stats
            responses.append(response)
            start += size
        return responses
