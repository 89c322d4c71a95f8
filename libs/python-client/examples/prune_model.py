"""Prunes a model through the coordinator from Python, prints each iteration and the report, and
downloads the pruned model. Run from the repository (after `npm ci`), with a coordinator running
(`npx prune serve`):

    .venv/bin/python libs/python-client/examples/prune_model.py \
        --model ../shared/models/resnet-cifar10/resnet20-12fca82f.manifest.json --data cifar10-jpeg \
        --iterations 2 --out pruned/
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import grpc  # noqa: E402

from prune_client import PruneClient, RunFailed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coordinator", default="", help="host:port (default: $PRUNE_COORDINATOR, else 127.0.0.1:50050)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", default="cifar10-jpeg")
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--candidate-steps", type=int, default=50)
    parser.add_argument("--selected-steps", type=int, default=200)
    parser.add_argument("--validation-examples", type=int, default=1000)
    parser.add_argument("--test-examples", type=int, default=0)
    parser.add_argument(
        "--out", required=True, help="a new folder (TF.js layers), or a new .onnx, .keras or .h5 file, for the pruned model"
    )
    args = parser.parse_args()

    with PruneClient(args.coordinator) as client:
        try:
            run = client.start_run(
                model=args.model,
                dataset=args.data,
                max_iterations=args.iterations,
                candidate_finetune={"steps": args.candidate_steps},
                selected_finetune={"steps": args.selected_steps},
                validation_examples=args.validation_examples,
                test_examples=args.test_examples,
            )
        except grpc.RpcError as error:
            print(f"refused: {error.code().name}: {error.details()}", file=sys.stderr)
            return 2
        print(f"run {run.id} started")

        def show(kind, value):
            if kind == "iteration":
                choice = "L" if value.choice == 1 else "F"
                print(f"iteration {value.index + 1}: chose {choice}, MACs {value.cost.macs / 1e6:.2f}M, "
                      f"test {100 * value.test_accuracy:.2f}%")

        try:
            client.wait(run.id, on_event=show)
        except RunFailed as failed:
            print(failed, file=sys.stderr)
            return 1
        report = client.report(run.id)
        before, after = report["macs"]
        print(f"decisions: {report['decisions']}")
        print(f"MACs: {before / 1e6:.2f}M -> {after / 1e6:.2f}M (-{100 * (1 - after / before):.2f}%)")
        print(f"test accuracy: {100 * report['test_accuracy'][0]:.2f}% -> {100 * report['test_accuracy'][1]:.2f}%")
        extension = os.path.splitext(args.out)[1].lstrip(".")
        uri = client.download(run.id, args.out, format=extension if extension in ("onnx", "keras", "h5") else "tfjs")
        print(f"model {uri} written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
