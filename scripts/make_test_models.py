#!/usr/bin/python3
"""Write the tiny random-weight GGUF test models (llama, gptneox, bloom) with scripts/gguf_writer.py.

Each model has the byte-level vocabulary (256 bytes + <s> + </s>), fixed seed weights, and is well
under 1 MB. The weights are read back from the file (so F16/Q8_0 rounding is included) and run by a
numpy reference of llama.cpp's graph for that architecture; the greedy continuation of a fixed prompt
is written to expected.json next to the models, for tests that run the files through llama.cpp.

  scripts/make-test-models [--out tests/models] [--check]

--check rebuilds the files in memory and fails if any committed file differs (reproducibility).
Needs numpy only (Debian: python3-numpy).
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402

PROMPT = "In the beginning"
GEN_TOKENS = 24
VOCAB = 258
CFG = dict(d=64, heads=4, layers=2, ctx=64, eps=1e-5)
# one tensor type per file, so llama.cpp reads all three formats in the tests
MODELS = [("llama", "q8_0", 101), ("gptneox", "f16", 102), ("bloom", "f32", 103)]


def random_weights(arch, seed):
    rng = np.random.default_rng(seed)
    d, L = CFG["d"], CFG["layers"]
    ff = 128 if arch == "llama" else 4 * d

    def mat(rows, cols, gain=1.0):
        return (rng.standard_normal((rows, cols)) * gain / math.sqrt(cols)).astype(np.float32)

    def vec(n, base=0.0, scale=0.1):
        return (base + rng.standard_normal(n) * scale).astype(np.float32)

    t = {"token_embd.weight": rng.standard_normal((VOCAB, d)).astype(np.float32)}
    if arch == "bloom":
        t["token_embd_norm.weight"] = vec(d, 1.0)
        t["token_embd_norm.bias"] = vec(d)
    for i in range(L):
        p = "blk.%d." % i
        t[p + "attn_norm.weight"] = vec(d, 1.0)
        if arch == "llama":
            for n in ("attn_q", "attn_k", "attn_v"):
                t[p + n + ".weight"] = mat(d, d)
            t[p + "attn_output.weight"] = mat(d, d)
            t[p + "ffn_norm.weight"] = vec(d, 1.0)
            t[p + "ffn_gate.weight"] = mat(ff, d)
            t[p + "ffn_up.weight"] = mat(ff, d)
            t[p + "ffn_down.weight"] = mat(d, ff)
        else:
            t[p + "attn_norm.bias"] = vec(d)
            t[p + "attn_qkv.weight"] = mat(3 * d, d)
            t[p + "attn_qkv.bias"] = vec(3 * d)
            t[p + "attn_output.weight"] = mat(d, d)
            t[p + "attn_output.bias"] = vec(d)
            t[p + "ffn_norm.weight"] = vec(d, 1.0)
            t[p + "ffn_norm.bias"] = vec(d)
            t[p + "ffn_up.weight"] = mat(ff, d)
            t[p + "ffn_up.bias"] = vec(ff)
            t[p + "ffn_down.weight"] = mat(d, ff)
            t[p + "ffn_down.bias"] = vec(d)
    t["output_norm.weight"] = vec(d, 1.0)
    if arch != "llama":
        t["output_norm.bias"] = vec(d)
    out = mat(VOCAB, d, gain=16.0)
    out[256:] = 0.0          # <s> and </s> get logit 0, below the spread of the byte logits
    t["output.weight"] = out
    return t, ff


def build(arch, qtype, seed):
    t, ff = random_weights(arch, seed)
    d, H = CFG["d"], CFG["heads"]
    w = gw.GGUFWriter()
    w.add_string("general.architecture", arch)
    w.add_string("general.name", "modulus-test-%s" % arch)
    w.add_string("general.description", "random weights (seed %d) for loader tests; not a language model" % seed)
    w.add_uint32("general.file_type", {"f32": 0, "f16": 1, "q8_0": 7}[qtype])
    w.add_uint32("general.quantization_version", 2)
    w.add_uint32(arch + ".context_length", CFG["ctx"])
    w.add_uint32(arch + ".embedding_length", d)
    w.add_uint32(arch + ".block_count", CFG["layers"])
    w.add_uint32(arch + ".feed_forward_length", ff)
    w.add_uint32(arch + ".attention.head_count", H)
    w.add_uint32(arch + ".attention.head_count_kv", H)
    if arch == "llama":
        w.add_float32("llama.attention.layer_norm_rms_epsilon", CFG["eps"])
        w.add_float32("llama.rope.freq_base", 10000.0)
        w.add_uint32("llama.rope.dimension_count", d // H)
    else:
        w.add_float32(arch + ".attention.layer_norm_epsilon", CFG["eps"])
    if arch == "gptneox":
        w.add_bool("gptneox.use_parallel_residual", True)
        w.add_float32("gptneox.rope.freq_base", 10000.0)
        w.add_uint32("gptneox.rope.dimension_count", (d // H) // 2)   # partial rotary, as Pythia
    gw.add_byte_vocab(w)
    for n, a in t.items():
        w.add_tensor(n, a, qtype if a.ndim == 2 else "f32")
    return w.to_bytes()


# ---- numpy reference of llama.cpp's graphs --------------------------------------------------------

def _rms(x, w, eps):
    return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * w


def _ln(x, w, b, eps):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


def _gelu(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _rope(x, n_rot, base, neox):
    # x: (T, H, hd); rotate the first n_rot dims of each head
    T = x.shape[0]
    pos = np.arange(T, dtype=np.float64)[:, None]
    inv = base ** (-np.arange(0, n_rot, 2, dtype=np.float64) / n_rot)
    ang = pos * inv[None, :]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    y = x.astype(np.float64).copy()
    if neox:
        a, b = x[..., :n_rot // 2], x[..., n_rot // 2:n_rot]
        y[..., :n_rot // 2] = a * c - b * s
        y[..., n_rot // 2:n_rot] = a * s + b * c
    else:
        a, b = x[..., 0:n_rot:2], x[..., 1:n_rot:2]
        y[..., 0:n_rot:2] = a * c - b * s
        y[..., 1:n_rot:2] = a * s + b * c
    return y


def _attention(q, k, v, alibi_slopes=None):
    T, H, hd = q.shape
    att = np.einsum("thd,shd->hts", q, k) / math.sqrt(hd)
    if alibi_slopes is not None:
        dist = np.arange(T)[None, :] - np.arange(T)[:, None]          # j - i (<= 0 where allowed)
        att = att + alibi_slopes[:, None, None] * dist[None]
    att = np.where(np.triu(np.ones((T, T), bool), 1)[None], -np.inf, att)
    att = np.exp(att - att.max(-1, keepdims=True))
    att /= att.sum(-1, keepdims=True)
    return np.einsum("hts,shd->thd", att, v).reshape(T, H * hd)


def _alibi(H, max_bias=8.0):
    n2 = 2 ** int(math.floor(math.log2(H)))
    m0, m1 = 2 ** (-max_bias / n2), 2 ** (-max_bias / 2 / n2)
    return np.array([m0 ** (h + 1) if h < n2 else m1 ** (2 * (h - n2) + 1) for h in range(H)])


def forward(arch, meta, t, ids):
    g = lambda n: t[n][2].astype(np.float64)  # noqa: E731
    d, H = meta[arch + ".embedding_length"], meta[arch + ".attention.head_count"]
    hd = d // H
    x = g("token_embd.weight")[ids]
    if arch == "bloom":
        eps = meta["bloom.attention.layer_norm_epsilon"]
        x = _ln(x, g("token_embd_norm.weight"), g("token_embd_norm.bias"), eps)
    T = len(ids)
    for i in range(meta[arch + ".block_count"]):
        p = "blk.%d." % i
        if arch == "llama":
            eps = meta["llama.attention.layer_norm_rms_epsilon"]
            h = _rms(x, g(p + "attn_norm.weight"), eps)
            q = (h @ g(p + "attn_q.weight").T).reshape(T, H, hd)
            k = (h @ g(p + "attn_k.weight").T).reshape(T, H, hd)
            v = (h @ g(p + "attn_v.weight").T).reshape(T, H, hd)
            nr = meta["llama.rope.dimension_count"]
            q, k = _rope(q, nr, meta["llama.rope.freq_base"], False), _rope(k, nr, meta["llama.rope.freq_base"], False)
            x = x + _attention(q, k, v) @ g(p + "attn_output.weight").T
            h = _rms(x, g(p + "ffn_norm.weight"), eps)
            gate = h @ g(p + "ffn_gate.weight").T
            x = x + ((gate / (1 + np.exp(-gate))) * (h @ g(p + "ffn_up.weight").T)) @ g(p + "ffn_down.weight").T
            continue
        eps = meta[arch + ".attention.layer_norm_epsilon"]
        h = _ln(x, g(p + "attn_norm.weight"), g(p + "attn_norm.bias"), eps)
        qkv = h @ g(p + "attn_qkv.weight").T + g(p + "attn_qkv.bias")
        q, k, v = (qkv[:, j * d:(j + 1) * d].reshape(T, H, hd) for j in range(3))
        if arch == "gptneox":
            nr, base = meta["gptneox.rope.dimension_count"], meta["gptneox.rope.freq_base"]
            q, k = _rope(q, nr, base, True), _rope(k, nr, base, True)
            a = _attention(q, k, v)
        else:
            a = _attention(q, k, v, _alibi(H))
        a = a @ g(p + "attn_output.weight").T + g(p + "attn_output.bias")

        def ffn(z):
            z = _ln(z, g(p + "ffn_norm.weight"), g(p + "ffn_norm.bias"), eps)
            z = _gelu(z @ g(p + "ffn_up.weight").T + g(p + "ffn_up.bias"))
            return z @ g(p + "ffn_down.weight").T + g(p + "ffn_down.bias")

        if arch == "gptneox" and meta["gptneox.use_parallel_residual"]:
            x = x + a + ffn(x)
        else:
            x = x + a
            x = x + ffn(x)
    if arch == "llama":
        x = _rms(x, g("output_norm.weight"), meta["llama.attention.layer_norm_rms_epsilon"])
    else:
        x = _ln(x, g("output_norm.weight"), g("output_norm.bias"), eps)
    return x @ g("output.weight").T


def greedy(arch, path):
    meta, t = gw.read_gguf(path)
    ids = list(PROMPT.encode("ascii"))
    margins = []
    for _ in range(GEN_TOKENS):
        lg = forward(arch, meta, t, ids)[-1]
        top = np.sort(lg)[-2:]
        margins.append(round(float(top[1] - top[0]), 4))
        ids.append(int(lg.argmax()))
    return ids[len(PROMPT):], margins


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "models"))
    ap.add_argument("--check", action="store_true", help="fail if the files in --out differ from a rebuild")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    expected = {"prompt": PROMPT, "tokens": GEN_TOKENS, "add_bos": False,
                "note": "greedy continuation by a numpy reference of llama.cpp's graph, as byte/token ids",
                "models": {}}
    bad = 0
    old = {}
    if os.path.exists(os.path.join(a.out, "expected.json")):
        with open(os.path.join(a.out, "expected.json")) as f:
            old = json.load(f)
    for arch, qtype, seed in MODELS:
        fn = "tiny-%s.%s.gguf" % (arch, qtype)
        path = os.path.join(a.out, fn)
        data = build(arch, qtype, seed)
        if a.check:
            with open(path, "rb") as f:
                same = f.read() == data
            print("%s %s" % ("same" if same else "DIFFERS", fn))
            bad += not same
            continue
        with open(path, "wb") as f:
            f.write(data)
        ids, margin = greedy(arch, path)
        expected["models"][fn] = {
            "architecture": arch, "tensor_type": qtype, "seed": seed, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "greedy_ids": ids, "greedy_text_latin1": bytes(i for i in ids if i < 256).decode("latin-1"),
            "top2_logit_margins": margin}
        for k, v in old.get("models", {}).get(fn, {}).items():
            if k.startswith("llamacpp") and old["models"][fn].get("sha256") == expected["models"][fn]["sha256"]:
                expected["models"][fn][k] = v      # measured results stay while the file is unchanged
        print("wrote %s (%d bytes) greedy %r (min margin %.3f)" % (fn, len(data), bytes(i for i in ids if i < 256), min(margin)))
    if a.check:
        sys.exit(1 if bad else 0)
    with open(os.path.join(a.out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
