#!/usr/bin/python3
"""Train the ID-only Fashion-MNIST classifier of docs/results (issue 16, "a fair evaluation").

A small ResNet-style CNN trained on the in-distribution classes 0-5 only (T-shirt/top, trouser, pullover,
dress, coat, sandal), so that classes 6-9 (shirt, sneaker, bag, ankle boot) are truly unseen near-OOD for
`sisom eval ood`. CPU only, fixed seeds, deterministic algorithms; Debian's python3 with python3-torch and
python3-numpy, the images from Debian's dataset-fashion-mnist (the same IDX files `sisom eval` reads). Nothing is
downloaded.

    /usr/bin/python3 deploy/models/train_id_cnn.py --out docs/results/models

writes OUT/id_cnn.onnx (input "input" N x 1 x 28 x 28, outputs "features" N x D and "logits" N x 6), its
manifest OUT/id_cnn.manifest.json (format sisom-model/1) and OUT/id_cnn.training.json (seed, epochs, test
accuracy on classes 0-5, SHA-256 of the ONNX file, time). The evaluation's test images (the first 150 per class
of the test split) are never trained on; the training split's ID images are (the reference set of `eval ood` is
drawn from them, as the paper's reference set is the training data).
"""

import argparse
import gzip
import hashlib
import json
import os
import platform
import random
import sys
import time

import numpy as np
import torch
from torch import nn

ID_CLASSES = 6
DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file (gzip) as a numpy array: images N x 28 x 28 uint8 or labels N uint8."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    dims = magic & 0xFF
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_split(directory, train):
    prefix = "train" if train else "t10k"
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"))
    keep = labels < ID_CLASSES
    return images[keep], labels[keep].astype(np.int64)


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the shortcut (1x1 conv + BN when the width changes), then ReLU."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity() if cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.relu = nn.ReLU()

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + self.shortcut(x))


class IdCnn(nn.Module):
    """stem (16 @ 28x28) -> layer1 (16 @ 28x28) -> pool -> layer2 (32 @ 14x14) -> pool -> layer3 (64 @ 7x7) -> GAP -> fc (6)."""

    def __init__(self, width):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        self.layer1 = BasicBlock(width, width)
        self.pool1 = nn.MaxPool2d(2)
        self.layer2 = BasicBlock(width, 2 * width)
        self.pool2 = nn.MaxPool2d(2)
        self.layer3 = BasicBlock(2 * width, 4 * width)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4 * width, ID_CLASSES)

    def forward(self, x):
        x = self.layer1(self.stem(x))
        x = self.layer2(self.pool1(x))
        x = self.layer3(self.pool2(x))
        features = torch.flatten(self.gap(x), 1)
        return features, self.fc(features)


def accuracy(model, images, labels, mean, std, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            x = (torch.from_numpy(images[i:i + batch]).float().div(255).unsqueeze(1) - mean) / std
            _, logits = model(x)
            correct += int((logits.argmax(1) == torch.from_numpy(labels[i:i + batch])).sum())
    return correct / len(images)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=DATA_DIR, help="directory of the Fashion-MNIST IDX files (Debian dataset-fashion-mnist)")
    parser.add_argument("--out", default="docs/results/models", help="where id_cnn.onnx and its manifest go")
    parser.add_argument("--name", default="id_cnn")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1, help="peak learning rate (SGD, momentum 0.9, one-cycle)")
    parser.add_argument("--width", type=int, default=16, help="channels of the stem; the blocks have 1x, 2x, 4x")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)

    train_x, train_y = load_split(args.data, train=True)
    test_x, test_y = load_split(args.data, train=False)
    pixels = train_x.astype(np.float64) / 255
    mean, std = float(pixels.mean()), float(pixels.std())
    print(f"ID classes 0-{ID_CLASSES - 1}: {len(train_x)} training, {len(test_x)} test images; pixel mean {mean:.4f}, std {std:.4f}", flush=True)

    model = IdCnn(args.width)
    steps = args.epochs * ((len(train_x) + args.batch_size - 1) // args.batch_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(args.seed)
    x_all = (torch.from_numpy(train_x).float().div(255).unsqueeze(1) - mean) / std
    y_all = torch.from_numpy(train_y)
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_all), generator=generator)
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            x = x_all[idx]
            flip = torch.rand(len(idx), generator=generator) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
            _, logits = model(x)
            loss = loss_fn(logits, y_all[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += float(loss) * len(idx)
        test_acc = accuracy(model, test_x, test_y, mean, std)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(x_all):.4f}, test accuracy (classes 0-5) {test_acc:.4f}, {time.time() - started:.0f} s", flush=True)
    train_seconds = time.time() - started
    train_acc = accuracy(model, train_x, train_y, mean, std)
    test_acc = accuracy(model, test_x, test_y, mean, std)

    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, args.name + ".onnx")
    model.eval()
    torch.onnx.export(
        model,
        torch.zeros(1, 1, 28, 28),
        onnx_path,
        input_names=["input"],
        output_names=["features", "logits"],
        dynamic_axes={"input": {0: "N"}, "features": {0: "N"}, "logits": {0: "N"}},
        opset_version=13,
        do_constant_folding=True,
    )
    with open(onnx_path, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()

    manifest = {
        "format": "sisom-model/1",
        "name": args.name,
        "input": {
            "name": "input",
            "layout": "NCHW",
            "width": 28,
            "height": 28,
            "colour": "grey",
            "scale": 1 / 255,
            "mean": [round(mean, 6)],
            "std": [round(std, 6)],
            "resize": "stretch",
        },
        "outputs": {"features": "features", "logits": "logits", "layer_states": []},
        "feature_dimension": 4 * args.width,
        "class_count": ID_CLASSES,
    }
    with open(os.path.join(args.out, args.name + ".manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")

    training = {
        "command": "/usr/bin/python3 deploy/models/train_id_cnn.py " + " ".join(sys.argv[1:]),
        "classes": list(range(ID_CLASSES)),
        "train_images": int(len(train_x)),
        "test_images": int(len(test_x)),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "width": args.width,
        "seed": args.seed,
        "threads": args.threads,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_accuracy": round(train_acc, 4),
        "test_accuracy": round(test_acc, 4),
        "train_seconds": round(train_seconds, 1),
        "onnx_sha256": sha256,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    with open(os.path.join(args.out, args.name + ".training.json"), "w") as f:
        json.dump(training, f, indent=2)
        f.write("\n")
    print(f"test accuracy (classes 0-5, {len(test_x)} images): {test_acc:.4f}; train {train_acc:.4f}; {train_seconds:.0f} s; wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes)", flush=True)


if __name__ == "__main__":
    main()
