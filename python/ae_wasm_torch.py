"""Continue training an ae-wasm model in PyTorch, then hand it back to ae-wasm.

    model, record = ae_wasm_torch.load("runs/conv/model.safetensors")
    ...train model (a torch.nn.Module) with ae_wasm_torch.loss_fn(record)...
    ae_wasm_torch.save(model, record, "runs/conv/model-torch.safetensors")

Only torch, numpy (which torch brings) and the standard library. The model file is
safetensors (8-byte little-endian header length, JSON header, raw little-endian data)
with ae-wasm's records in `__metadata__` (README "Model files").

Layout: ae-wasm is NHWC with Keras kernels; here every image tensor is NCHW and every
kernel is in PyTorch's layout, transposed on load and back on save. Flatten permutes to
NHWC before flattening and Reshape permutes back after reshaping, so the flat vectors (and
the Dense weights reading them) are ae-wasm's. Keras 'same' padding (the odd extra row at
the bottom / right for stride 2) is explicit padding or cropping, as in the ONNX export.

The module works in the model's own (normalised) units, as ae-wasm's encode / decode /
reconstruct do: `normalize(x, record)` takes data units to model units and `denormalize`
back (both NCHW for images).
"""

import json
import math
import os
import tempfile

import numpy as np
import torch
from torch import nn

MODEL_FORMAT = "ae-wasm/1"
_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I32": "<i4", "I64": "<i8", "U8": "u1", "I8": "i1"}
# The BCE clipping of Keras' binary_crossentropy (backend epsilon).
BCE_EPSILON = 1e-7
# keras.activations.leaky_relu's slope for the "leaky_relu" string, and the layers' defaults.
LEAKY_RELU_ACTIVATION_SLOPE = 0.2
LEAKY_RELU_LAYER_DEFAULT_ALPHA = 0.3


# --- safetensors -------------------------------------------------------------------------

def read_safetensors(path):
    """(tensors: name -> numpy array, metadata: dict of strings)."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError(f"{path}: {len(buf)} bytes, too short for a safetensors header length (8 bytes)")
    n = int.from_bytes(buf[:8], "little")
    if 8 + n > len(buf):
        raise ValueError(f"{path}: header length {n} runs past the end of the {len(buf)}-byte file")
    header = json.loads(buf[8:8 + n])
    metadata = header.pop("__metadata__", {}) or {}
    data = buf[8 + n:]
    tensors = {}
    for name, t in header.items():
        if t["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has dtype {t['dtype']}, expected one of {', '.join(_DTYPES)}")
        begin, end = t["data_offsets"]
        dtype = np.dtype(_DTYPES[t["dtype"]])
        want = int(np.prod(t["shape"], dtype=np.int64)) * dtype.itemsize
        if not 0 <= begin <= end <= len(data) or end - begin != want:
            raise ValueError(f"{path}: tensor {name!r} {t['dtype']} {t['shape']} needs {want} bytes, its data_offsets are [{begin}, {end}] of {len(data)}")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(t["shape"]).copy()
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Writes F32 (or other numpy) tensors atomically: temporary file, fsync, rename."""
    names = {np.dtype(v): k for k, v in _DTYPES.items()}
    header, chunks, at = {"__metadata__": metadata}, [], 0
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        a = a.astype(a.dtype.newbyteorder("<"), copy=False)
        raw = a.tobytes()
        header[name] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data section starts 8-aligned
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".safetensors")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(len(text).to_bytes(8, "little"))
            f.write(text)
            for raw in chunks:
                f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- layers ------------------------------------------------------------------------------

class Exp(nn.Module):
    def forward(self, x):
        return torch.exp(x)


def activation(name, alpha=None, where="activation"):
    """The torch module of a Keras activation string (ae-wasm's set)."""
    name = name or "linear"
    table = {
        "linear": lambda: nn.Identity(),
        "relu": lambda: nn.ReLU(),
        "leaky_relu": lambda: nn.LeakyReLU(LEAKY_RELU_ACTIVATION_SLOPE if alpha is None else alpha),
        "sigmoid": lambda: nn.Sigmoid(),
        "tanh": lambda: nn.Tanh(),
        "exponential": lambda: Exp(),
        "elu": lambda: nn.ELU(1.0 if alpha is None else alpha),
        "selu": lambda: nn.SELU(),  # Keras' constants are PyTorch's
        "gelu": lambda: nn.GELU(),  # exact (erf), Keras' default
        "gelu_approximate": lambda: nn.GELU(approximate="tanh"),
        # threshold beyond float32's resolution: log1p(exp(x)) exactly as ae-wasm computes it
        "softplus": lambda: nn.Softplus(threshold=100.0),
        "silu": lambda: nn.SiLU(),
        "swish": lambda: nn.SiLU(),
    }
    if name not in table:
        raise NotImplementedError(f"{where}: activation {name!r} has no PyTorch mapping here; expected one of {', '.join(table)}")
    return table[name]()


def same_pads(size, k, s, padding):
    """(before, after) of Keras/TF padding along one axis: SAME puts the odd extra after."""
    if padding not in ("same", "valid"):
        raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
    if padding == "valid":
        return 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _pair(v, default=None):
    v = default if v is None else v
    return [v, v] if isinstance(v, int) else list(v)


class KerasFlatten(nn.Module):
    """Flatten in NHWC order (ae-wasm's, Keras'): permute an NCHW image first."""

    def __init__(self, image):
        super().__init__()
        self.image = image

    def forward(self, x):
        return (x.permute(0, 2, 3, 1) if self.image else x).reshape(x.shape[0], -1)


class KerasReshape(nn.Module):
    """Reshape in NHWC order; an image result is permuted to NCHW after."""

    def __init__(self, image_in, target):
        super().__init__()
        self.image_in, self.target = image_in, list(target)

    def forward(self, x):
        if self.image_in:
            x = x.permute(0, 2, 3, 1)
        y = x.reshape(x.shape[0], *self.target)
        return y.permute(0, 3, 1, 2) if len(self.target) == 3 else y


class Crop2d(nn.Module):
    """Drops rows / columns (top, bottom, left, right) of an NCHW tensor."""

    def __init__(self, top, bottom, left, right):
        super().__init__()
        self.t, self.b, self.l, self.r = top, bottom, left, right

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        return x[:, :, self.t:h - self.b, self.l:w - self.r]


class GaussianNoise(nn.Module):
    """Keras GaussianNoise: x + stddev N(0, 1) in training, identity otherwise."""

    def __init__(self, stddev):
        super().__init__()
        self.stddev = stddev

    def forward(self, x):
        return x + self.stddev * torch.randn_like(x) if self.training and self.stddev > 0 else x


class KerasBatchNorm(nn.Module):
    """Keras BatchNormalization over channels (axis 1 of an NCHW image, else the last axis).

    Unlike nn.BatchNorm*, the moving variance folds in the biased batch variance and
    `momentum` is Keras' (moving = moving * momentum + batch * (1 - momentum)), as in ae-wasm.
    weight / bias are gamma / beta (None when scale / center are off).
    """

    def __init__(self, channels, axis, momentum, epsilon, center, scale):
        super().__init__()
        self.axis, self.momentum, self.epsilon = axis, momentum, epsilon
        self.weight = nn.Parameter(torch.ones(channels)) if scale else None
        self.bias = nn.Parameter(torch.zeros(channels)) if center else None
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))

    def _view(self, v, x):
        shape = [1] * x.dim()
        shape[self.axis] = -1
        return v.reshape(shape)

    def forward(self, x):
        if self.training:
            dims = [d for d in range(x.dim()) if d != self.axis % x.dim()]
            mean = x.mean(dim=dims)
            var = ((x - self._view(mean, x)) ** 2).mean(dim=dims)
            with torch.no_grad():
                m = self.momentum
                self.running_mean.mul_(m).add_((1 - m) * mean.detach())
                self.running_var.mul_(m).add_((1 - m) * var.detach())
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - self._view(mean, x)) / torch.sqrt(self._view(var, x) + self.epsilon)
        if self.weight is not None:
            y = y * self._view(self.weight, x)
        if self.bias is not None:
            y = y + self._view(self.bias, x)
        return y


class ChannelsLast(nn.Module):
    """Runs a last-axis module (Linear) on an NCHW image: NHWC in between, as Keras' Dense does."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def _k(tensors, name, shape):
    if name not in tensors:
        raise ValueError(f"model file: missing tensor {name!r} {list(shape)}")
    a = tensors[name]
    if list(a.shape) != list(shape):
        raise ValueError(f"model file: tensor {name!r} has shape {list(a.shape)}, the architecture needs {list(shape)}")
    return torch.from_numpy(np.asarray(a, dtype=np.float32).copy())


# Our tensor's param name -> (attribute path in the torch module, torch -> Keras permutation).
_LINEAR = {"kernel": ("weight", (1, 0)), "bias": ("bias", None)}
_CONV = {"kernel": ("weight", (2, 3, 1, 0)), "bias": ("bias", None)}
_BN = {"gamma": ("weight", None), "beta": ("bias", None), "moving_mean": ("running_mean", None), "moving_variance": ("running_var", None)}


def _build_layer(spec, shape, prefix, tensors):
    """(torch module, output shape (ours, NHWC), [(tensor name, module, attr, perm)])."""
    cls, cfg = spec.get("class_name"), spec.get("config") or {}
    where = f"{prefix} ({cls})"
    image = len(shape) == 3
    out, exports, mods = list(shape), [], []

    def param(module, name, keras_shape, table):
        attr, perm = table[name]
        value = _k(tensors, f"{prefix}.{name}", keras_shape)
        inverse = None if perm is None else tuple(int(i) for i in np.argsort(perm))
        target = module
        for part in attr.split("."):
            target = getattr(target, part)
        with torch.no_grad():
            target.copy_(value if inverse is None else value.permute(*inverse))
        exports.append((f"{prefix}.{name}", module, attr, perm))

    if cls == "Dense":
        units, use_bias = cfg["units"], cfg.get("use_bias", True)
        lin = nn.Linear(shape[-1], units, bias=use_bias)
        param(lin, "kernel", [shape[-1], units], _LINEAR)
        if use_bias:
            param(lin, "bias", [units], _LINEAR)
        mods.append(ChannelsLast(lin) if image else lin)
        mods.append(activation(cfg.get("activation"), where=where))
        out = shape[:-1] + [units]
    elif cls in ("Conv2D", "Conv2DTranspose"):
        if not image:
            raise ValueError(f"{where}: needs a height x width x channels input, got {shape}")
        h, w, c = shape
        f, (kh, kw) = cfg["filters"], _pair(cfg["kernel_size"])
        (sh, sw), padding, use_bias = _pair(cfg.get("strides"), 1), cfg.get("padding", "valid"), cfg.get("use_bias", True)
        if cls == "Conv2D":
            t, b = same_pads(h, kh, sh, padding)
            l, r = same_pads(w, kw, sw, padding)
            if t or b or l or r:
                mods.append(nn.ZeroPad2d((l, r, t, b)))
            conv = nn.Conv2d(c, f, (kh, kw), (sh, sw), bias=use_bias)
            param(conv, "kernel", [kh, kw, c, f], _CONV)
            out = [(h + t + b - kh) // sh + 1, (w + l + r - kw) // sw + 1, f]
            mods.append(conv)
        else:
            # PyTorch's unpadded output is s (in - 1) + k; Keras crops the SAME padding of the
            # conv it transposes (smaller half first) or, for k < s, has s - k more rows at the end.
            crops, extras, sizes = [], [], []
            for size, k, s in ((h, kh, sh), (w, kw, sw)):
                o = size * s if padding == "same" else size * s + max(k - s, 0)
                before = same_pads(o, k, s, padding)[0]
                diff = s * (size - 1) + k - o
                crops.append((before, diff - before) if diff >= 0 else (0, 0))
                extras.append(0 if diff >= 0 else -diff)
                sizes.append(o)
            conv = nn.ConvTranspose2d(c, f, (kh, kw), (sh, sw), output_padding=tuple(extras), bias=use_bias)
            param(conv, "kernel", [kh, kw, f, c], _CONV)
            mods.append(conv)
            if any(crops[0]) or any(crops[1]):
                mods.append(Crop2d(crops[0][0], crops[0][1], crops[1][0], crops[1][1]))
            out = [sizes[0], sizes[1], f]
        if use_bias:
            param(conv, "bias", [f], _CONV)
        mods.append(activation(cfg.get("activation"), where=where))
    elif cls == "MaxPooling2D":
        h, w, c = shape
        ph, pw = _pair(cfg.get("pool_size"), 2)
        sh, sw = _pair(cfg.get("strides"), [ph, pw])  # Keras: strides default to the pool size
        padding = cfg.get("padding", "valid")
        t, b = same_pads(h, ph, sh, padding)
        l, r = same_pads(w, pw, sw, padding)
        if t or b or l or r:
            mods.append(nn.ConstantPad2d((l, r, t, b), -math.inf))  # TF's max ignores padding
        mods.append(nn.MaxPool2d((ph, pw), (sh, sw)))
        out = [(h + t + b - ph) // sh + 1, (w + l + r - pw) // sw + 1, c]
    elif cls == "UpSampling2D":
        if cfg.get("interpolation", "nearest") != "nearest":
            raise NotImplementedError(f"{where}: only interpolation 'nearest'")
        sh, sw = _pair(cfg.get("size"), 2)
        mods.append(nn.Upsample(scale_factor=(sh, sw), mode="nearest"))
        out = [shape[0] * sh, shape[1] * sw, shape[2]]
    elif cls == "Flatten":
        mods.append(KerasFlatten(image))
        out = [int(np.prod(shape))]
    elif cls == "Reshape":
        out = list(cfg["target_shape"])
        mods.append(KerasReshape(image, out))
    elif cls == "Activation":
        mods.append(activation(cfg.get("activation"), where=where))
    elif cls == "LeakyReLU":
        alpha = cfg.get("negative_slope", cfg.get("alpha", LEAKY_RELU_LAYER_DEFAULT_ALPHA))
        mods.append(nn.LeakyReLU(alpha))
    elif cls == "ELU":
        mods.append(nn.ELU(cfg.get("alpha", 1.0)))
    elif cls == "GaussianNoise":
        mods.append(GaussianNoise(cfg.get("stddev", 0)))
    elif cls == "Dropout":
        mods.append(nn.Dropout(cfg.get("rate", 0)))
    elif cls == "SpatialDropout2D":
        mods.append(nn.Dropout2d(cfg.get("rate", 0)))  # whole channels of each sample
    elif cls == "BatchNormalization":
        ch = shape[-1]
        bn = KerasBatchNorm(ch, 1 if image else -1, cfg.get("momentum", 0.99), cfg.get("epsilon", 1e-3),
                            cfg.get("center", True), cfg.get("scale", True))
        for name in (["gamma"] if bn.weight is not None else []) + (["beta"] if bn.bias is not None else []) + ["moving_mean", "moving_variance"]:
            param(bn, name, [ch], _BN)
        mods.append(bn)
    else:
        raise NotImplementedError(f"{where}: layer class {cls!r} has no PyTorch mapping in ae_wasm_torch")
    mods = [m for m in mods if not isinstance(m, nn.Identity)]
    module = mods[0] if len(mods) == 1 else nn.Sequential(*mods) if mods else nn.Identity()
    return module, out, exports


def _build_part(layers, shape, part, tensors):
    mods, exports = [], []
    for i, spec in enumerate(layers):
        m, shape, e = _build_layer(spec, shape, f"{part}.{i}", tensors)
        mods.append(m)
        exports += e
    return nn.Sequential(*mods), shape, exports


class AeModel(nn.Module):
    """An ae-wasm chain model: encoder -> decoder, or a VAE's encoder -> (z_mean, z_log_var) -> z -> decoder.

    forward(x) returns the reconstruction (a VAE: from z = z_mean + exp(z_log_var / 2) eps in
    training mode, z = z_mean in eval mode, as ae-wasm's reconstruct); `encode`, `decode`
    and, for a VAE, `forward_vae(x, eps=None)` -> (reconstruction, z_mean, z_log_var).
    """

    def __init__(self, architecture, tensors):
        super().__init__()
        if architecture.get("graph") is not None:
            raise NotImplementedError("a model with a graph of parts (architecture.graph) has no PyTorch mapping here; only chain models and VAEs")
        self.kind = architecture["kind"]
        self.input_shape = list(architecture["input_shape"])
        parts = architecture["parts"]
        self._exports = []
        self.encoder, shape, e = _build_part(parts["encoder"], self.input_shape, "encoder", tensors)
        self._exports += e
        if self.kind == "vae":
            self.z_mean, code, e1 = _build_part(parts["z_mean"], shape, "z_mean", tensors)
            self.z_log_var, _, e2 = _build_part(parts["z_log_var"], shape, "z_log_var", tensors)
            self._exports += e1 + e2
            shape = code
        self.code_shape = shape
        self.decoder, self.output_shape, e = _build_part(parts["decoder"], shape, "decoder", tensors)
        self._exports += e

    def encode(self, x):
        """The code (a VAE: (z_mean, z_log_var))."""
        h = self.encoder(x)
        return (self.z_mean(h), self.z_log_var(h)) if self.kind == "vae" else h

    def decode(self, z):
        return self.decoder(z)

    def forward_vae(self, x, eps=None):
        mu, lv = self.encode(x)
        if eps is None:
            eps = torch.randn_like(mu) if self.training else torch.zeros_like(mu)
        return self.decoder(mu + torch.exp(0.5 * lv) * eps), mu, lv

    def forward(self, x):
        return self.forward_vae(x)[0] if self.kind == "vae" else self.decoder(self.encoder(x))

    def ae_tensors(self):
        """The weights by ae-wasm's names, in its (Keras) layout, as float32 numpy arrays."""
        out = {}
        for name, module, attr, perm in self._exports:
            t = getattr(module, attr).detach().to("cpu", torch.float32)
            out[name] = (t if perm is None else t.permute(*perm)).contiguous().numpy()
        return out


# --- files -------------------------------------------------------------------------------

def load(path):
    """(AeModel, record) from an ae-wasm model file (a checkpoint's optimizer state is dropped).

    record: {"architecture", "training", "preprocessing" (dict or None), "metadata" (the raw
    strings), "preprocessing_tensors" (numpy arrays)}.
    """
    tensors, metadata = read_safetensors(path)
    if metadata.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path}: __metadata__ format is {metadata.get('format')!r}, expected {MODEL_FORMAT!r}")
    arch = json.loads(metadata["architecture"])
    record = {
        "architecture": arch,
        "training": json.loads(metadata["training"]),
        "preprocessing": json.loads(metadata["preprocessing"]) if "preprocessing" in metadata else None,
        "metadata": dict(metadata),
        "preprocessing_tensors": {k: v for k, v in tensors.items() if k.startswith("preprocessing.")},
    }
    model = AeModel(arch, tensors)
    model.eval()
    return model, record


def save(model, record, path):
    """Writes the model's weights in ae-wasm's layout with the record: a plain model file.

    A checkpoint's resume state (training.checkpoint: epochs, steps, random streams) is
    dropped with its optimizer state: it describes the ae-wasm run, not these weights.
    """
    tensors = model.ae_tensors()
    for name, a in tensors.items():
        if not np.all(np.isfinite(a)):
            raise ValueError(f"save: tensor {name!r} holds a non-finite value at index {int(np.argmin(np.isfinite(a).ravel()))}")
    metadata = {k: v for k, v in record["metadata"].items()}
    metadata["format"] = MODEL_FORMAT
    metadata["architecture"] = json.dumps(record["architecture"], separators=(",", ":"))
    training = {k: v for k, v in record["training"].items() if k != "checkpoint"}
    metadata["training"] = json.dumps(training, separators=(",", ":"))
    tensors.update(record["preprocessing_tensors"])
    write_safetensors(path, tensors, metadata)


# --- preprocessing and loss --------------------------------------------------------------

def _offset_divisor(record):
    p, t = record.get("preprocessing") or {"kind": "none"}, record["preprocessing_tensors"]
    if p["kind"] == "scale":
        return 0.0, float(p["scale"])
    if p["kind"] == "minmax":
        lo, hi = t["preprocessing.min"].astype(np.float64), t["preprocessing.max"].astype(np.float64)
        return lo, np.where(hi > lo, hi - lo, 1.0)
    if p["kind"] == "standard":
        return t["preprocessing.mean"].astype(np.float64), t["preprocessing.std"].astype(np.float64)
    return 0.0, 1.0


def _layout(v):
    if np.isscalar(v):
        return v
    v = torch.from_numpy(np.asarray(v, dtype=np.float64))
    return v.permute(2, 0, 1) if v.dim() == 3 else v


# In float64, rounded once to x's dtype, as ae-wasm does: the same float32 values as its normalize.
def normalize(x, record):
    """Data units -> the model's units: (x - offset) / divisor (x NCHW for images)."""
    offset, divisor = _offset_divisor(record)
    return ((x.double() - _layout(offset)) / _layout(divisor)).to(x.dtype)


def denormalize(y, record):
    """The model's units -> data units: y divisor + offset."""
    offset, divisor = _offset_divisor(record)
    return (y.double() * _layout(divisor) + _layout(offset)).to(y.dtype)


def loss_fn(record):
    """ae-wasm's training loss from the record: fn(model, x) -> scalar.

    Chain models: MSE or BCE (probabilities clipped to [1e-7, 1 - 1e-7] as Keras; ae-wasm
    computes BCE on a sigmoid output from the logits, the same where nothing is clipped),
    means over every element, plus l1 * sum |code| / batch when l1 > 0. VAE: the
    reconstruction summed per sample plus beta times the KL, both means over the batch.
    """
    t = record["training"]
    kind, l1, beta = t.get("loss", "mse"), float(t.get("l1", 0) or 0), float(t.get("beta", 1) if t.get("beta") is not None else 1)

    def recon(y, x, reduce):
        if kind == "mse":
            e = (y - x) ** 2
        elif kind == "bce":
            p = y.clamp(BCE_EPSILON, 1 - BCE_EPSILON)
            e = -(x * torch.log(p) + (1 - x) * torch.log(1 - p))
        else:
            raise NotImplementedError(f"training.loss {kind!r}: expected 'mse' or 'bce'")
        return e.reshape(e.shape[0], -1).sum(1).mean() if reduce == "sum" else e.mean()

    def fn(model, x):
        if model.kind == "vae":
            y, mu, lv = model.forward_vae(x)
            kl = (-0.5 * (1 + lv - mu ** 2 - torch.exp(lv))).reshape(mu.shape[0], -1).sum(1).mean()
            loss, code = recon(y, x, "sum") + beta * kl, mu
        else:
            code = model.encoder(x)
            loss = recon(model.decoder(code), x, "mean")
        if l1 > 0:
            loss = loss + l1 * code.abs().sum() / x.shape[0]
        return loss

    return fn
