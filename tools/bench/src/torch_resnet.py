"""The PyTorch peer of train-infer.ts: the same CIFAR ResNets (basic blocks, option-A shortcuts),
the same batch of random images, the same SGD step (Nesterov momentum 0.9, weight decay on conv and
linear weights), the same warm-up and timing. Prints one JSON object per (depth, batch).

    python3 tools/bench/src/torch_resnet.py --depths 20,56 --batches 64 --steps 10 --warmup 10 --threads 1
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.pad = planes - in_planes
        self.stride = stride

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x
        if self.stride != 1 or self.pad:
            # option A: subsample, then zero-pad the channels
            shortcut = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    def __init__(self, depth, num_classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, in_planes = [], 16
        for stage, planes in enumerate([16, 32, 64]):
            for b in range(n):
                blocks.append(BasicBlock(in_planes, planes, 2 if stage > 0 and b == 0 else 1))
                in_planes = planes
        self.blocks = nn.Sequential(*blocks)
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


def images_per_second(batch, steps, warmup, run):
    """Images per second of the median timed call after `warmup` untimed calls, as in train-infer.ts."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return batch / sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--depths', default='20,56')
    parser.add_argument('--batches', default='64,128')
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=10)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for depth in map(int, args.depths.split(',')):
        for batch in map(int, args.batches.split(',')):
            model = CifarResNet(depth)
            x = torch.randn(batch, 3, 32, 32)
            y = torch.arange(batch) % 10
            decay = [p for name, p in model.named_parameters() if name.endswith('weight') and p.dim() > 1]
            rest = [p for name, p in model.named_parameters() if not (name.endswith('weight') and p.dim() > 1)]
            optimizer = torch.optim.SGD(
                [{'params': decay, 'weight_decay': 1e-4}, {'params': rest, 'weight_decay': 0}],
                lr=0.01, momentum=0.9, nesterov=True,
            )

            def infer():
                model.eval()
                with torch.no_grad():
                    model(x).numpy()

            def train():
                model.train()
                optimizer.zero_grad(set_to_none=True)
                loss = F.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                loss.item()

            print(json.dumps({
                'model': f'ResNet-{depth}', 'batch': batch,
                'infer': images_per_second(batch, args.steps, args.warmup, infer),
                'train': images_per_second(batch, args.steps, args.warmup, train),
                'engine': f'PyTorch {torch.__version__} CPU', 'threads': args.threads,
            }), flush=True)


if __name__ == '__main__':
    main()
