"""PyTorch CPU peer of bench/cpu.ts: the same architectures, batch sizes and step definitions.

Run by bench/cpu.ts with Debian's /usr/bin/python3 (python3-torch) in --serve mode, one process
per environment setting (as installed; OPENBLAS_NUM_THREADS=1; OMP_WAIT_POLICY=PASSIVE; ...), so
that its rounds interleave with ours and every contender sees the same machine load. Standalone:
prints one JSON line per case: {"case": ..., "metric": ..., "value": median rate, "rates": [...]}.

Cases (see issue 4):
- vae_train: PolyMNIST conv VAE, batch 128 of 3x28x28, forward + backward + Adam, images/s;
- dsm_train: score MLP (320 + 128 time embedding -> 512 -> 512 -> 512 -> 320, SiLU), batch 256,
  denoising score matching (VP-SDE), forward + backward + Adam, samples/s;
- langevin: forward-only score MLP on 1000 samples plus the Langevin update, steps/s;
- matmul_1024: fp32 1024x1024 @ 1024x1024, GFLOP/s.
"""
import argparse
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvVae(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.ModuleList([
            nn.Conv2d(3, 32, 3, stride=2, padding=1),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),
            nn.Conv2d(64, 128, 3, stride=2, padding=1),
        ])
        self.mu = nn.Linear(2048, 64)
        self.logvar = nn.Linear(2048, 64)
        self.dec_in = nn.Linear(64, 2048)
        self.dec = nn.ModuleList([
            nn.ConvTranspose2d(128, 64, 3, stride=2, padding=1, output_padding=0),
            nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1),
            nn.ConvTranspose2d(32, 3, 3, stride=2, padding=1, output_padding=1),
        ])

    def loss(self, x):
        h = x
        for c in self.enc:
            h = F.relu(c(h))
        h = h.reshape(x.shape[0], -1)
        mu, lv = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        h = F.relu(self.dec_in(z)).reshape(x.shape[0], 128, 4, 4)
        for i, d in enumerate(self.dec):
            h = d(h)
            if i < len(self.dec) - 1:
                h = F.relu(h)
        recon = F.binary_cross_entropy_with_logits(h, x, reduction="sum") / x.shape[0]
        kl = 0.5 * (torch.exp(lv) + mu * mu - 1 - lv).sum() / x.shape[0]
        return recon + kl


def time_embedding(t, dim=128, max_period=10000.0, scale=1000.0):
    half = dim // 2
    f = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half) * scale
    a = t[:, None] * f[None, :]
    return torch.cat([torch.sin(a), torch.cos(a)], dim=1)


class ScoreMlp(nn.Module):
    def __init__(self, dim=320, temb=128, width=512):
        super().__init__()
        self.temb = temb
        self.l1 = nn.Linear(dim + temb, width)
        self.l2 = nn.Linear(width, width)
        self.l3 = nn.Linear(width, width)
        self.l4 = nn.Linear(width, dim)

    def forward(self, z, t):
        h = torch.cat([z, time_embedding(t, self.temb)], dim=1)
        h = F.silu(self.l1(h))
        h = F.silu(self.l2(h))
        h = F.silu(self.l3(h))
        return self.l4(h)


B0, B1 = 0.1, 20.0


def dsm_loss(net, z0):
    b = z0.shape[0]
    t = torch.rand(b) * (1 - 1e-3) + 1e-3
    lmc = -0.25 * t * t * (B1 - B0) - 0.5 * t * B0
    mean = torch.exp(lmc)[:, None] * z0
    std = torch.sqrt(1 - torch.exp(2 * lmc))[:, None]
    eps = torch.randn_like(z0)
    s = net(mean + std * eps, t)
    return ((s * std + eps) ** 2).sum() / b


def one_round(step, per_step, steps, budget):
    """One timed round: `steps` steps or `budget` seconds, whichever ends first (at least 1)."""
    t0 = time.perf_counter()
    k = 0
    while k < steps and (k == 0 or time.perf_counter() - t0 < budget):
        step()
        k += 1
    return per_step * k / (time.perf_counter() - t0)


def make_case(case):
    """Builds a case; returns (step, units per step, metric, steps per round, warm-up steps)."""
    if case == "vae_train":
        model = ConvVae()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x = torch.rand(128, 3, 28, 28)

        def step():
            opt.zero_grad(set_to_none=False)
            model.loss(x).backward()
            opt.step()

        return step, 128, "images/s", 20, 3
    if case == "dsm_train":
        net = ScoreMlp()
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        z0 = torch.randn(256, 320)

        def step():
            opt.zero_grad(set_to_none=False)
            dsm_loss(net, z0).backward()
            opt.step()

        return step, 256, "samples/s", 60, 5
    if case == "langevin":
        net = ScoreMlp()
        state = {"z": torch.randn(1000, 320)}
        t = torch.full((1000,), 0.5)
        eps = 1e-3

        def step():
            with torch.no_grad():
                z = state["z"]
                s = net(z, t)
                state["z"] = z + eps * s + math.sqrt(2 * eps) * torch.randn_like(z)

        return step, 1, "steps/s", 30, 3
    if case == "matmul_1024":
        a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
        return (lambda: torch.mm(a, b)), 2 * 1024**3 / 1e9, "GFLOP/s", 20, 3
    raise SystemExit(f"Cannot run case {case}: unknown case")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cases", default="vae_train,dsm_train,langevin,matmul_1024")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per round at most")
    ap.add_argument("--serve", action="store_true",
                    help="read 'round CASE' lines on stdin, answer one JSON line per round")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cases = {}

    def get(case):
        if case not in cases:
            step, per, metric, steps, warmup = make_case(case)
            t0 = time.perf_counter()
            for _ in range(warmup):
                step()
                if time.perf_counter() - t0 > args.budget:
                    break
            cases[case] = (step, per, metric, steps)
        return cases[case]

    if args.serve:
        print(json.dumps({"ready": True, "threads": torch.get_num_threads()}), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if not cmd or cmd[0] == "quit":
                break
            step, per, metric, steps = get(cmd[1])
            rate = one_round(step, per, steps, args.budget)
            print(json.dumps({"case": cmd[1], "metric": metric, "value": rate}), flush=True)
        return
    for case in args.cases.split(","):
        step, per, metric, steps = get(case)
        r = [one_round(step, per, steps, args.budget) for _ in range(args.rounds)]
        print(json.dumps({"case": case, "metric": metric, "value": statistics.median(r),
                          "rates": r}), flush=True)


if __name__ == "__main__":
    main()
