"""PruneClient: the coordinator's API for Python users, with the same security settings as the
TypeScript clients (PRUNE_TLS_CA, PRUNE_TLS_CERT/PRUNE_TLS_KEY for mutual TLS, PRUNE_AUTH_TOKEN)."""

import hashlib
import os
import shutil
import tempfile
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

import grpc
from google.protobuf import json_format

from prune_client._stubs import common_pb2, coordinator_pb2, coordinator_pb2_grpc

_FILE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
# The formats a model is downloaded in (DownloadModelRequest.format), as the CLI names them.
_FORMATS = {
    "tfjs": common_pb2.MODEL_FORMAT_TFJS_LAYERS,
    "keras": common_pb2.MODEL_FORMAT_KERAS,
    "h5": common_pb2.MODEL_FORMAT_KERAS_H5,
    "onnx": common_pb2.MODEL_FORMAT_ONNX,
}


class RunFailed(RuntimeError):
    """A run that ended failed or cancelled (its record is in .run)."""

    def __init__(self, run):
        super().__init__(f"run {run.id} {state_name(run.state)}: {run.error or run.stop_reason}")
        self.run = run


def state_name(state: int) -> str:
    return coordinator_pb2.RunState.Name(state).removeprefix("RUN_STATE_").lower()


def _read(name: str) -> Optional[bytes]:
    path = os.environ.get(name)
    if not path:
        return None
    with open(path, "rb") as f:
        return f.read()


def _channel(address: str) -> grpc.Channel:
    ca, cert, key = _read("PRUNE_TLS_CA"), _read("PRUNE_TLS_CERT"), _read("PRUNE_TLS_KEY")
    options = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    if ca or cert:
        credentials = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
        return grpc.secure_channel(address, credentials, options)
    return grpc.insecure_channel(address, options)


def directory_digest(folder: str) -> str:
    """The digest a stored model folder is named by (store://dirs/<digest>): each file's name and content."""
    lines = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            lines.append(f"{name}\0{hashlib.sha256(f.read()).hexdigest()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


class PruneClient:
    def __init__(self, address: str = "", timeout: float = 600.0):
        self.address = address or os.environ.get("PRUNE_COORDINATOR", "127.0.0.1:50050")
        self.timeout = timeout
        self._channel = _channel(self.address)
        self._stub = coordinator_pb2_grpc.CoordinatorServiceStub(self._channel)
        token = os.environ.get("PRUNE_AUTH_TOKEN")
        self._metadata = [("authorization", f"Bearer {token}")] if token else []

    def __enter__(self) -> "PruneClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def start_run(self, run_id: str = "", **config: Any):
        """Starts a run. `config` takes RunConfig's fields by their proto names (model, dataset,
        max_iterations, policy, candidate_finetune={"steps": 50}, ...); a model is a path or a
        store:// URI. Unset fields take the coordinator's defaults; bad ones raise grpc.RpcError
        (INVALID_ARGUMENT naming the field)."""
        if isinstance(config.get("model"), str):
            model = config["model"]
            config["model"] = {"uri": model if model.startswith("store://") else os.path.abspath(model)}
        if isinstance(config.get("policy"), str):
            config["policy"] = "SELECTION_POLICY_" + config["policy"].upper().replace("-", "_")
        message = json_format.ParseDict(config, coordinator_pb2.RunConfig(), ignore_unknown_fields=False)
        request = coordinator_pb2.StartRunRequest(config=message, run_id=run_id)
        return self._stub.StartRun(request, timeout=self.timeout, metadata=self._metadata).run

    def get(self, run_id: str):
        return self._stub.GetRun(coordinator_pb2.GetRunRequest(run_id=run_id), timeout=self.timeout, metadata=self._metadata).run

    def list(self):
        return list(self._stub.ListRuns(coordinator_pb2.ListRunsRequest(), timeout=self.timeout, metadata=self._metadata).runs)

    def cancel(self, run_id: str):
        request = coordinator_pb2.CancelRunRequest(run_id=run_id)
        return self._stub.CancelRun(request, timeout=self.timeout, metadata=self._metadata).run

    def watch(self, run_id: str) -> Iterator[Tuple[str, Any]]:
        """The run's events until it ends: ("phase", PhaseProgress), ("iteration", Iteration), ("run", Run)."""
        request = coordinator_pb2.WatchRunRequest(run_id=run_id)
        for response in self._stub.WatchRun(request, metadata=self._metadata):
            kind = response.WhichOneof("event")
            if kind:
                yield kind, getattr(response, kind)

    def wait(self, run_id: str, on_event: Optional[Callable[[str, Any], None]] = None):
        """Follows the run to its end; returns its record, or raises RunFailed."""
        for kind, value in self.watch(run_id):
            if on_event:
                on_event(kind, value)
        run = self.get(run_id)
        if state_name(run.state) != "succeeded":
            raise RunFailed(run)
        return run

    def report(self, run_id: str) -> Dict[str, Any]:
        """The run's outcome: decisions, MACs/params before and after, test accuracy, the result's URI."""
        run = self.get(run_id)
        result = next((i for i in run.iterations if i.model.uri == run.result_model.uri), None)
        final = result.cost if result else run.initial_cost
        return {
            "id": run.id,
            "state": state_name(run.state),
            "decisions": " ".join(coordinator_pb2.Choice.Name(i.choice).removeprefix("CHOICE_")[0] for i in run.iterations),
            "macs": (run.initial_cost.macs, final.macs),
            "params": (run.initial_cost.params, final.params),
            "test_accuracy": (run.initial_test_accuracy, result.test_accuracy if result else run.initial_test_accuracy),
            "model": run.result_model.uri,
            "source": run.config.model.uri,
            "config": json_format.MessageToDict(run.config, preserving_proto_field_name=True),
        }

    def download(self, run_id: str, out: str, model_uri: str = "", format: str = "tfjs") -> str:
        """Writes the run's result (or another of its models) to `out`; returns the model's URI.
        format "tfjs" (as stored): `out` is a new or empty folder, checked against the model's
        digest here. "onnx", "keras" or "h5" (converted by the system after it checks the stored model):
        `out` is a new file."""
        uri = model_uri or self.get(run_id).result_model.uri
        if not uri:
            raise ValueError(f"run {run_id} has no result yet; name one of its models")
        if format not in _FORMATS:
            raise ValueError(f"format {format!r} is not one of {', '.join(_FORMATS)}")
        if format == "tfjs" and os.path.exists(out) and os.listdir(out):
            raise ValueError(f"{out} exists and is not empty; name a new folder")
        if format != "tfjs" and os.path.exists(out):
            raise ValueError(f"{out} exists; name a new file")
        parent = os.path.dirname(os.path.abspath(out))
        os.makedirs(parent, exist_ok=True)
        partial = tempfile.mkdtemp(prefix=".partial-", dir=parent)
        try:
            request = coordinator_pb2.DownloadModelRequest(
                run_id=run_id, model=common_pb2.ArtifactRef(uri=uri), format=_FORMATS[format]
            )
            for response in self._stub.DownloadModel(request, metadata=self._metadata):
                name = response.chunk.path
                if not name or name in (".", "..") or not set(name) <= _FILE_NAME_CHARS:
                    raise ValueError(f"the coordinator sent a bad file name {name!r}")
                with open(os.path.join(partial, name), "ab") as f:
                    f.write(response.chunk.data)
            if format != "tfjs":
                received = os.path.join(partial, f"model.{format}")
                if not os.path.isfile(received):
                    raise ValueError(f"the coordinator sent no model.{format}")
                os.rename(received, out)
                return uri
            digest = directory_digest(partial)
            if f"store://dirs/{digest}" != uri:
                raise ValueError(f"the files received for {uri} have digest {digest}: altered or incomplete")
            if os.path.isdir(out):
                os.rmdir(out)
            os.rename(partial, out)
            return uri
        finally:
            shutil.rmtree(partial, ignore_errors=True)
