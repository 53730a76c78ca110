"""PyTorch peer of the model suites (bench/model-pytorch.ts runs it when torch imports).

    python3 bench/peers/pytorch.py CONFIG.json

CONFIG (written by model-pytorch.ts): the digits file (raw little-endian float32,
training images then test images, 28x28x1 each), the cases with their Keras layer
records, batch sizes, Adam settings and timing budgets. Prints one JSON record per line,
the same records as the TypeScript suites: {"suite", "model", "runtime": "pytorch",
"build", "threads": 1, "batch", "samples_per_sec", "latency_ms", ...} or {..., "error"}.

The models are built from the same layer records with Keras semantics: NHWC data is
viewed as NCHW (free for one channel), 'same' padding is Keras' (extra row and column at
the bottom and right), Conv2DTranspose 'same' crops the full transposed convolution as
TF does, kernels are glorot-uniform and biases zero. One thread.
"""

import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pad(size, k, s):
    """Keras 'same': (before, after) padding of one spatial dimension."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


class Conv(nn.Module):
    def __init__(self, cin, cfg, in_hw, transpose):
        super().__init__()
        kh, kw = cfg["kernel_size"]
        sh, sw = cfg["strides"]
        self.padding, self.transpose, self.act = cfg["padding"], transpose, cfg.get("activation", "linear")
        self.k, self.s, self.in_hw = (kh, kw), (sh, sw), in_hw
        cout = cfg["filters"]
        if transpose:
            self.op = nn.ConvTranspose2d(cin, cout, (kh, kw), (sh, sw))
        else:
            self.op = nn.Conv2d(cin, cout, (kh, kw), (sh, sw))
        nn.init.xavier_uniform_(self.op.weight)
        nn.init.zeros_(self.op.bias)
        h, w = in_hw
        if transpose:
            self.out_hw = (h * sh, w * sw) if self.padding == "same" else ((h - 1) * sh + kh, (w - 1) * sw + kw)
        elif self.padding == "same":
            self.out_hw = (-(-h // sh), -(-w // sw))
        else:
            self.out_hw = ((h - kh) // sh + 1, (w - kw) // sw + 1)
        self.out_c = cout

    def forward(self, x):
        if self.transpose:
            y = self.op(x)
            if self.padding == "same":
                # The transposed conv of a 'same' conv from out_hw to in_hw: crop its padding.
                (t, _), (l, _) = same_pad(self.out_hw[0], self.k[0], self.s[0]), same_pad(self.out_hw[1], self.k[1], self.s[1])
                y = y[:, :, t : t + self.out_hw[0], l : l + self.out_hw[1]]
        else:
            if self.padding == "same":
                t, b = same_pad(self.in_hw[0], self.k[0], self.s[0])
                l, r = same_pad(self.in_hw[1], self.k[1], self.s[1])
                if t or b or l or r:
                    x = F.pad(x, (l, r, t, b))
            y = self.op(x)
        return activate(y, self.act)


def activate(x, name):
    if name == "relu":
        return F.relu(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name in ("linear", None):
        return x
    raise ValueError(f"activation {name} not wired up")


class Dense(nn.Module):
    def __init__(self, fin, cfg):
        super().__init__()
        self.op = nn.Linear(fin, cfg["units"])
        nn.init.xavier_uniform_(self.op.weight)
        nn.init.zeros_(self.op.bias)
        self.act = cfg.get("activation", "linear")

    def forward(self, x):
        return activate(self.op(x), self.act)


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def build(specs, shape):
    """Layers for Keras records; shape is per sample: (h, w, c) or (features,).
    Rank-3 activations are kept NCHW; Flatten and Reshape convert in Keras' NHWC order."""
    layers = []
    for spec in specs:
        name, cfg = spec["class_name"], spec.get("config", {})
        if name == "Flatten":
            if len(shape) == 3:
                layers.append(Lambda(lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)))
            shape = (math.prod(shape),)
        elif name == "Reshape":
            t = tuple(cfg["target_shape"])
            if len(t) == 3:
                layers.append(Lambda(lambda x, t=t: x.reshape(x.shape[0], *t).permute(0, 3, 1, 2)))
            else:
                layers.append(Lambda(lambda x, t=t: x.reshape(x.shape[0], *t)))
            shape = t
        elif name == "Dense":
            layers.append(Dense(shape[0], cfg))
            shape = (cfg["units"],)
        elif name in ("Conv2D", "Conv2DTranspose"):
            conv = Conv(shape[2], cfg, shape[:2], name == "Conv2DTranspose")
            layers.append(conv)
            shape = (*conv.out_hw, conv.out_c)
        elif name == "MaxPooling2D":
            (ph, pw), (sh, sw) = cfg["pool_size"], cfg.get("strides") or cfg["pool_size"]
            pads = (0, 0, 0, 0)
            if cfg.get("padding") == "same":
                t, b = same_pad(shape[0], ph, sh)
                l, r = same_pad(shape[1], pw, sw)
                pads = (l, r, t, b)
            layers.append(Lambda(lambda x, p=pads, k=(ph, pw), s=(sh, sw): F.max_pool2d(F.pad(x, p, value=-math.inf) if any(p) else x, k, s)))
            if cfg.get("padding") == "same":
                shape = (-(-shape[0] // sh), -(-shape[1] // sw), shape[2])
            else:
                shape = ((shape[0] - ph) // sh + 1, (shape[1] - pw) // sw + 1, shape[2])
        elif name == "UpSampling2D":
            fh, fw = cfg["size"]
            layers.append(nn.Upsample(scale_factor=(fh, fw), mode="nearest"))
            shape = (shape[0] * fh, shape[1] * fw, shape[2])
        else:
            raise ValueError(f"layer {name} not wired up")
    return nn.Sequential(*layers), tuple(shape)


class Model(nn.Module):
    def __init__(self, arch):
        super().__init__()
        shape = tuple(arch["input_shape"])
        parts = arch["parts"]
        self.vae = arch["kind"] == "vae"
        self.encoder, code = build(parts["encoder"], shape)
        if self.vae:
            self.z_mean, z = build(parts["z_mean"], code)
            self.z_log_var, _ = build(parts["z_log_var"], code)
            code = z
        self.decoder, _ = build(parts["decoder"], code)

    def forward(self, x, sample):
        """x: NCHW. Returns (output NCHW, mu, logvar)."""
        h = self.encoder(x)
        if not self.vae:
            return self.decoder(h), None, None
        mu, lv = self.z_mean(h), self.z_log_var(h)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu) if sample else mu
        return self.decoder(z), mu, lv


def objective(model, case, inp, target):
    out, mu, lv = model(inp, True)
    n = inp.shape[0]
    if mu is None:
        if case["loss"] == "mse":
            return F.mse_loss(out, target)
        return F.binary_cross_entropy(out, target)
    rec = F.binary_cross_entropy(out, target, reduction="sum") if case["loss"] == "bce" else F.mse_loss(out, target, reduction="sum")
    kl = 0.5 * torch.sum(torch.exp(lv) + mu * mu - 1 - lv)
    return (rec + case["beta"] * kl) / n


def time_it(fn, t, warmed):
    """Median ms per call: warm-up then a budget (fast calls), or a few calls (slow ones)."""
    t0 = time.perf_counter()
    fn()
    first = (time.perf_counter() - t0) * 1000
    if first >= t["slow_ms"]:
        if t["quick"] and warmed:
            return first, 1
        if not t["quick"]:
            fn()
        times = []
        for _ in range(max(1, t["slow_samples"])):
            s = time.perf_counter()
            fn()
            times.append((time.perf_counter() - s) * 1000)
        return statistics.median(times), len(times)
    start, calls, last = time.perf_counter(), 0, first
    while True:
        s = time.perf_counter()
        fn()
        last = (time.perf_counter() - s) * 1000
        calls += 1
        spent = (time.perf_counter() - start) * 1000
        if (calls >= t["warmup_min_calls"] and spent >= t["warmup_ms"]) or spent >= t["warmup_max_ms"]:
            break
    group = max(1, math.ceil(t["min_sample_ms"] / max(last, 1e-3)))
    times, spent = [], 0.0
    while len(times) < t["max_samples"] and (len(times) < t["min_samples"] or spent < t["budget_ms"]):
        s = time.perf_counter()
        for _ in range(group):
            fn()
        ms = (time.perf_counter() - s) * 1000
        times.append(ms / group)
        spent += ms
    return statistics.median(times), len(times) * group


def main():
    cfg = json.load(open(sys.argv[1]))
    torch.set_num_threads(1)
    torch.manual_seed(cfg["seed"])
    raw = torch.frombuffer(bytearray(open(cfg["data"], "rb").read()), dtype=torch.float32)
    n_train, n_test = cfg["train_n"], cfg["test_n"]
    shape = tuple(cfg["cases"][0]["arch"]["input_shape"])
    size = math.prod(shape)

    def nchw(flat, n):
        return flat[: n * size].reshape(n, *shape).permute(0, 3, 1, 2)

    train = raw[: n_train * size]
    test = raw[n_train * size : (n_train + n_test) * size]
    build_name = f"torch {torch.__version__}"
    t = cfg["timing"]
    a = cfg["adam"]
    for case in cfg["cases"]:
        base = {"model": case["preset"], "runtime": "pytorch", "build": build_name, "threads": 1}
        for batch in sorted(cfg["train_batches"]):
            rec = {"suite": "train", **base, "batch": batch}
            try:
                torch.manual_seed(cfg["seed"])
                model = Model(case["arch"]).train()
                opt = torch.optim.Adam(model.parameters(), lr=a["learningRate"], betas=(a["beta1"], a["beta2"]), eps=a["epsilon"])
                batches = [nchw(train[b * batch * size :], batch) for b in range(n_train // batch)]
                state = {"i": 0, "loss": float("nan")}

                def step():
                    x = batches[state["i"] % len(batches)]
                    state["i"] += 1
                    inp = torch.clamp(x + case["noise"] * torch.randn_like(x), 0, 1) if case["noise"] > 0 else x
                    opt.zero_grad(set_to_none=True)
                    loss = objective(model, case, inp, x)
                    loss.backward()
                    opt.step()
                    state["loss"] = loss.item()

                ms, calls = time_it(step, t, batch != min(cfg["train_batches"]))
                rec.update(samples_per_sec=batch * 1000 / ms, latency_ms=ms, calls=calls, loss=state["loss"])
            except Exception as e:  # a peer that cannot run a case is reported, not dropped
                rec["error"] = f"{type(e).__name__}: {e}"[:300]
            print(json.dumps(rec), flush=True)
        for batch in sorted(cfg["infer_batches"]):
            rec = {"suite": "infer", **base, "batch": batch}
            try:
                torch.manual_seed(cfg["seed"])
                model = Model(case["arch"]).eval()
                x = nchw(test, batch)

                def run():
                    with torch.inference_mode():
                        model(x, False)

                ms, calls = time_it(run, t, batch != min(cfg["infer_batches"]))
                rec.update(samples_per_sec=batch * 1000 / ms, latency_ms=ms, calls=calls)
            except Exception as e:
                rec["error"] = f"{type(e).__name__}: {e}"[:300]
            print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
