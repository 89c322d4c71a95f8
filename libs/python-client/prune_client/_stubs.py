"""The Python stubs of the contracts, generated from proto/ into _gen/ when missing or older
than the protos (the same .proto files the TypeScript services are built from)."""

import importlib
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
_GEN = os.path.join(_HERE, "_gen")
PROTO_ROOT = os.environ.get("PRUNE_PROTO_DIR", os.path.join(_HERE, "..", "..", "..", "proto"))
_PROTOS = ["prune/v1/assessment.proto", "prune/v1/common.proto", "prune/v1/coordinator.proto"]


def _stale() -> bool:
    stamp = os.path.join(_GEN, "prune", "v1", "coordinator_pb2_grpc.py")
    if not os.path.exists(stamp):
        return True
    newest = max(os.path.getmtime(os.path.join(PROTO_ROOT, p)) for p in _PROTOS)
    return os.path.getmtime(stamp) < newest


def generate() -> None:
    """Runs grpc_tools.protoc on the contracts, into _gen/."""
    from grpc_tools import protoc  # only needed to generate

    os.makedirs(_GEN, exist_ok=True)
    args = ["protoc", f"-I{PROTO_ROOT}", f"--python_out={_GEN}", f"--grpc_python_out={_GEN}", *_PROTOS]
    if protoc.main(args) != 0:
        raise RuntimeError(f"grpc_tools.protoc failed on {PROTO_ROOT}")
    for package in ("prune", os.path.join("prune", "v1")):
        open(os.path.join(_GEN, package, "__init__.py"), "a").close()


if not os.path.isdir(PROTO_ROOT):
    raise RuntimeError(f"proto/ not found at {PROTO_ROOT}: set PRUNE_PROTO_DIR to the repository's proto folder")
if _stale():
    generate()
if _GEN not in sys.path:
    sys.path.insert(0, _GEN)  # the generated modules import each other as prune.v1.*

assessment_pb2 = importlib.import_module("prune.v1.assessment_pb2")
common_pb2 = importlib.import_module("prune.v1.common_pb2")
coordinator_pb2 = importlib.import_module("prune.v1.coordinator_pb2")
coordinator_pb2_grpc = importlib.import_module("prune.v1.coordinator_pb2_grpc")
