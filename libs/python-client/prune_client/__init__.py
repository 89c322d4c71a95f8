"""A Python client of the prune-everything coordinator: start a pruning run, follow it, read its
report and download the pruned model.

    from prune_client import PruneClient

    with PruneClient("127.0.0.1:50050") as client:
        run = client.start_run(model="resnet20.manifest.json", dataset="cifar10-jpeg", max_iterations=3)
        run = client.wait(run.id, on_event=print)
        print(client.report(run.id))
        client.download(run.id, "pruned/")

The gRPC stubs are generated from the repository's proto/ on first import (needs grpcio-tools).
"""

from prune_client._stubs import assessment_pb2, coordinator_pb2, common_pb2  # noqa: F401  (generates on first use)
from prune_client.client import PruneClient, RunFailed

__all__ = ["PruneClient", "RunFailed", "assessment_pb2", "coordinator_pb2", "common_pb2"]
