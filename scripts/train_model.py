#!/usr/bin/python3
"""Train a small byte-level llama-shaped language model on the King James Bible and export it to GGUF.

Corpus: Debian's bible-kjv-text (the compressed text, out of copyright), read through the `bible`
program of the bible-kjv package. Every verse becomes one line of text without its reference.
The last --heldout fraction of the bytes (cut at a line start) is held out for evaluation.

Model: RMSNorm, RoPE in llama.cpp's "norm" layout (rotation of adjacent pairs, so Q and K need no
permutation on export), causal multi-head attention, SwiGLU feed-forward, no biases, untied output.
Vocabulary: the 256 bytes (token id = byte value) plus <s> (256) and </s> (257), never trained on.

Outputs in --out: model.pt (checkpoint), loss.csv, <name>.f32.gguf, <name>.q8_0.gguf, training.json.
Run `scripts/train-model --help` for the settings; their defaults are the shipped model's.
"""
import argparse
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time

REQUIRED_DEBIAN = ["python3-torch", "python3-numpy", "libopenblas0-pthread", "bible-kjv-text", "bible-kjv"]
KJV_DATA = "/usr/lib/bible.data"
PROMPTS = ["In the beginning", "And God said"]
GEN_TOKENS = 40
BOS_ID, EOS_ID, VOCAB = 256, 257, 258


def dpkg_version(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", pkg],
                             capture_output=True, text=True)
    except FileNotFoundError:
        return None
    if out.returncode != 0 or "install ok installed" not in out.stdout:
        return None
    return out.stdout.split("\t", 1)[1]


def check_deps():
    missing = [p for p in REQUIRED_DEBIAN if dpkg_version(p) is None]
    if missing:
        sys.stderr.write("train-model: missing Debian packages: %s\n"
                         "  install them with: sudo apt-get install %s\n"
                         % (" ".join(missing), " ".join(REQUIRED_DEBIAN)))
        sys.exit(2)


def load_corpus():
    """The KJV as one verse per line, references stripped. Returns (bytes, info)."""
    with open(KJV_DATA, "rb") as f:
        data_sha = hashlib.sha256(f.read()).hexdigest()
    # -f turns pretty-printing off: one "Ge1:1 text" line per verse. Gen 1:1 to Rev 22:21 is all of it.
    out = subprocess.run(["bible", "-f", "-m", "8192", "-p", os.path.dirname(KJV_DATA), "gen1:1-rev22:21"],
                         stdin=subprocess.DEVNULL, capture_output=True, check=True).stdout
    lines = []
    for line in out.decode("ascii").splitlines():
        ref, _, text = line.partition(" ")
        if not text or ":" not in ref:
            raise SystemExit("train-model: unexpected line from bible: %r" % line[:80])
        lines.append(text.strip())
    text = ("\n".join(lines) + "\n").encode("ascii")
    info = {
        "package": "bible-kjv-text",
        "package_version": dpkg_version("bible-kjv-text"),
        "reader_package": "bible-kjv",
        "reader_version": dpkg_version("bible-kjv"),
        "data_file": KJV_DATA,
        "data_file_sha256": data_sha,
        "text_sha256": hashlib.sha256(text).hexdigest(),
        "text_bytes": len(text),
        "verses": len(lines),
        "extraction": "bible -f gen1:1-rev22:21, reference stripped, one verse per line, LF",
    }
    return text, info


def build_model(torch, nn, F, a):
    class RMSNorm(nn.Module):
        def __init__(self, d, eps):
            super().__init__()
            self.eps = eps
            self.weight = nn.Parameter(torch.ones(d))

        def forward(self, x):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            d = a.d_model
            self.attn_norm = RMSNorm(d, a.norm_eps)
            self.q = nn.Linear(d, d, bias=False)
            self.k = nn.Linear(d, d, bias=False)
            self.v = nn.Linear(d, d, bias=False)
            self.o = nn.Linear(d, d, bias=False)
            self.ffn_norm = RMSNorm(d, a.norm_eps)
            self.gate = nn.Linear(d, a.ffn, bias=False)
            self.up = nn.Linear(d, a.ffn, bias=False)
            self.down = nn.Linear(a.ffn, d, bias=False)

        def forward(self, x, cos, sin, mask):
            B, T, D = x.shape
            H = a.heads
            hd = D // H
            h = self.attn_norm(x)
            q = self.q(h).view(B, T, H, hd)
            k = self.k(h).view(B, T, H, hd)
            v = self.v(h).view(B, T, H, hd).transpose(1, 2)
            q = rope(q, cos, sin).transpose(1, 2)
            k = rope(k, cos, sin).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            att = att.masked_fill(mask[:T, :T], float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, D)
            x = x + self.o(y)
            h = self.ffn_norm(x)
            return x + self.down(F.silu(self.gate(h)) * self.up(h))

    def rope(x, cos, sin):
        # llama.cpp's LLAMA_ROPE_TYPE_NORM: pairs (x[2i], x[2i+1]) rotated by pos * base^(-2i/hd)
        T = x.shape[1]
        x0, x1 = x[..., 0::2], x[..., 1::2]
        c, s = cos[:T, None, :], sin[:T, None, :]
        return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            d = a.d_model
            self.embed = nn.Embedding(VOCAB, d)
            self.blocks = nn.ModuleList([Block() for _ in range(a.layers)])
            self.norm = RMSNorm(d, a.norm_eps)
            self.out = nn.Linear(d, VOCAB, bias=False)
            hd = d // a.heads
            inv = a.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)
            ang = torch.arange(a.context, dtype=torch.float64)[:, None] * inv[None, :]
            self.register_buffer("cos", ang.cos().float(), persistent=False)
            self.register_buffer("sin", ang.sin().float(), persistent=False)
            self.register_buffer("mask", torch.triu(torch.ones(a.context, a.context, dtype=torch.bool), 1),
                                 persistent=False)
            for n, p in self.named_parameters():
                if p.dim() == 2:
                    std = 0.02
                    if n.endswith("o.weight") or n.endswith("down.weight"):
                        std = 0.02 / math.sqrt(2 * a.layers)
                    nn.init.normal_(p, 0.0, std)

        def forward(self, idx):
            x = self.embed(idx)
            for b in self.blocks:
                x = b(x, self.cos, self.sin, self.mask)
            return self.out(self.norm(x))

    return LM()


def gguf_tensors(model, a):
    """Map the torch parameters to llama.cpp's llama tensor names (numpy float32, torch shapes)."""
    sd = {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()}
    t = {"token_embd.weight": sd["embed.weight"]}
    for i in range(a.layers):
        p = "blocks.%d." % i
        g = "blk.%d." % i
        t[g + "attn_norm.weight"] = sd[p + "attn_norm.weight"]
        t[g + "attn_q.weight"] = sd[p + "q.weight"]
        t[g + "attn_k.weight"] = sd[p + "k.weight"]
        t[g + "attn_v.weight"] = sd[p + "v.weight"]
        t[g + "attn_output.weight"] = sd[p + "o.weight"]
        t[g + "ffn_norm.weight"] = sd[p + "ffn_norm.weight"]
        t[g + "ffn_gate.weight"] = sd[p + "gate.weight"]
        t[g + "ffn_up.weight"] = sd[p + "up.weight"]
        t[g + "ffn_down.weight"] = sd[p + "down.weight"]
    t["output_norm.weight"] = sd["norm.weight"]
    t["output.weight"] = sd["out.weight"]
    return t


def write_gguf(path, model, a, name, qtype, record_summary):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gguf_writer as gw
    w = gw.GGUFWriter()
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", name)
    w.add_string("general.description", record_summary)
    w.add_string("general.license", "public-domain corpus; weights trained by scripts/train-model")
    w.add_uint32("general.file_type", {"f32": 0, "f16": 1, "q8_0": 7}[qtype])
    w.add_uint32("general.quantization_version", 2)
    w.add_uint32("llama.context_length", a.context)
    w.add_uint32("llama.embedding_length", a.d_model)
    w.add_uint32("llama.block_count", a.layers)
    w.add_uint32("llama.feed_forward_length", a.ffn)
    w.add_uint32("llama.attention.head_count", a.heads)
    w.add_uint32("llama.attention.head_count_kv", a.heads)
    w.add_float32("llama.attention.layer_norm_rms_epsilon", a.norm_eps)
    w.add_float32("llama.rope.freq_base", a.rope_base)
    w.add_uint32("llama.rope.dimension_count", a.d_model // a.heads)
    w.add_uint32("llama.vocab_size", VOCAB)
    gw.add_byte_vocab(w, BOS_ID, EOS_ID)
    for n, arr in gguf_tensors(model, a).items():
        tq = qtype if arr.ndim == 2 else "f32"   # norms stay F32, as llama.cpp's quantizer does
        w.add_tensor(n, arr, tq)
    w.write(path)


def main():
    ap = argparse.ArgumentParser(description="Train the byte-level KJV model and export GGUF files.")
    ap.add_argument("--out", default="artifacts/model", help="output folder")
    ap.add_argument("--name", default="kjv-small")
    ap.add_argument("--seed", type=int, default=1611)
    ap.add_argument("--steps", type=int, default=1600)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr", type=float, default=3e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--ffn", type=int, default=512, help="SwiGLU hidden size (multiple of 32 for Q8_0)")
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--norm-eps", type=float, default=1e-5)
    ap.add_argument("--rope-base", type=float, default=10000.0)
    ap.add_argument("--heldout", type=float, default=0.05, help="fraction of bytes held out, from the end")
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--eval-windows", type=int, default=256, help="held-out windows in the periodic estimate")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=0, help="stop training after this many minutes (0: none)")
    ap.add_argument("--export-only", action="store_true", help="skip training, export <out>/model.pt")
    a = ap.parse_args()

    check_deps()
    for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[v] = str(a.threads)
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    if a.d_model % a.heads or (a.d_model // a.heads) % 2 or a.d_model % 32 or a.ffn % 32:
        raise SystemExit("train-model: need d_model % heads == 0, even head size, d_model and ffn multiples of 32")

    os.makedirs(a.out, exist_ok=True)
    text, corpus = load_corpus()
    cut = int(len(text) * (1 - a.heldout))
    cut = text.rindex(b"\n", 0, cut) + 1
    data = torch.from_numpy(np.frombuffer(text, dtype=np.uint8).astype(np.int64))
    train, held = data[:cut], data[cut:]
    corpus.update({"train_bytes": int(train.numel()), "heldout_bytes": int(held.numel()),
                   "split": "last %.0f%% of bytes held out, cut after a newline" % (a.heldout * 100)})
    print("corpus %s %s sha256(text)=%s train=%d heldout=%d" % (corpus["package"], corpus["package_version"],
          corpus["text_sha256"][:16], train.numel(), held.numel()), flush=True)

    model = build_model(torch, nn, F, a)
    nparams = sum(p.numel() for p in model.parameters())
    print("parameters %d" % nparams, flush=True)

    T = a.context
    nwin = (held.numel() - 1) // T
    all_x = torch.stack([held[i * T:i * T + T] for i in range(nwin)])
    all_y = torch.stack([held[i * T + 1:i * T + T + 1] for i in range(nwin)])
    sub = torch.linspace(0, nwin - 1, min(a.eval_windows, nwin)).long()

    @torch.no_grad()
    def heldout_loss(xs, ys):
        model.eval()
        tot, n = 0.0, 0
        for i in range(0, xs.shape[0], 64):
            lg = model(xs[i:i + 64])
            tot += F.cross_entropy(lg.reshape(-1, VOCAB), ys[i:i + 64].reshape(-1), reduction="sum").item()
            n += ys[i:i + 64].numel()
        model.train()
        return tot / n

    ckpt = os.path.join(a.out, "model.pt")
    steps_done, wall = 0, 0.0
    if a.export_only:
        st = torch.load(ckpt)
        model.load_state_dict(st["model"])
        steps_done, wall = st["steps"], st["wall_seconds"]
    else:
        decay = [p for p in model.parameters() if p.dim() == 2]
        other = [p for p in model.parameters() if p.dim() < 2]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                                 {"params": other, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.95))
        gen = torch.Generator().manual_seed(a.seed)
        csv = open(os.path.join(a.out, "loss.csv"), "w")
        csv.write("step,train_loss,heldout_loss,lr,elapsed_s\n")
        t0 = time.time()
        ema = None
        for step in range(1, a.steps + 1):
            if step <= a.warmup:
                lr = a.lr * step / a.warmup
            else:
                pr = (step - a.warmup) / max(1, a.steps - a.warmup)
                lr = a.min_lr + 0.5 * (a.lr - a.min_lr) * (1 + math.cos(math.pi * pr))
            for g in opt.param_groups:
                g["lr"] = lr
            ix = torch.randint(0, train.numel() - T - 1, (a.batch,), generator=gen)
            x = torch.stack([train[i:i + T] for i in ix.tolist()])
            y = torch.stack([train[i + 1:i + T + 1] for i in ix.tolist()])
            loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            lv = loss.item()
            ema = lv if ema is None else 0.95 * ema + 0.05 * lv
            last = step == a.steps or (a.time_limit and time.time() - t0 > a.time_limit * 60)
            if step % a.eval_every == 0 or step == 1 or last:
                hl = heldout_loss(all_x[sub], all_y[sub])
                el = time.time() - t0
                print("step %5d  train %.4f (ema %.4f)  heldout %.4f  lr %.2e  elapsed %7.1fs"
                      % (step, lv, ema, hl, lr, el), flush=True)
                csv.write("%d,%.5f,%.5f,%.6g,%.1f\n" % (step, lv, hl, lr, el))
                csv.flush()
                torch.save({"model": model.state_dict(), "steps": step, "wall_seconds": el,
                            "args": vars(a)}, ckpt)
            steps_done = step
            if last:
                break
        wall = time.time() - t0
        csv.close()
        torch.save({"model": model.state_dict(), "steps": steps_done, "wall_seconds": wall, "args": vars(a)}, ckpt)

    final = heldout_loss(all_x, all_y)
    print("final held-out loss %.4f nats/byte over %d windows of %d bytes" % (final, nwin, T), flush=True)

    @torch.no_grad()
    def greedy(prompt):
        model.eval()
        ids = list(prompt.encode("ascii"))
        for _ in range(GEN_TOKENS):
            lg = model(torch.tensor([ids[-T:]]))[0, -1]
            ids.append(int(lg.argmax()))
        return bytes(ids[len(prompt):]).decode("latin-1")

    samples = {p: greedy(p) for p in PROMPTS}
    for p, s in samples.items():
        print("greedy %r -> %r" % (p, s), flush=True)

    summary = "byte-level llama-shaped model, d=%d, %d layers, trained on the KJV Bible" % (a.d_model, a.layers)
    files = {}
    for q in ("f32", "q8_0"):
        fn = "%s.%s.gguf" % (a.name, q)
        path = os.path.join(a.out, fn)
        write_gguf(path, model, a, a.name, q, summary)
        with open(path, "rb") as f:
            files[fn] = {"bytes": os.path.getsize(path), "sha256": hashlib.sha256(f.read()).hexdigest()}
        print("wrote %s (%d bytes)" % (path, files[fn]["bytes"]), flush=True)

    settings = {k: v for k, v in vars(a).items() if k not in ("out", "export_only")}
    record = {
        "model": a.name,
        "architecture": "llama (RMSNorm, RoPE norm layout, SwiGLU, no biases, untied output)",
        "vocabulary": "256 bytes (id = byte value, gpt2 byte-to-unicode token text, no merges) + <s>=256 + </s>=257",
        "bos_id": BOS_ID, "eos_id": EOS_ID, "add_bos": False,
        "corpus": corpus,
        "seed": a.seed,
        "settings": settings,
        "parameters": nparams,
        "steps": steps_done,
        "wall_seconds": round(wall, 1),
        "final_heldout_loss_nats_per_byte": round(final, 4),
        "heldout_eval": "mean cross-entropy over %d non-overlapping %d-byte windows of the held-out text" % (nwin, T),
        "greedy": [{"prompt": p, "tokens": GEN_TOKENS, "continuation_torch": s} for p, s in samples.items()],
        "files": files,
        "software": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                     "torch_threads": torch.get_num_threads()},
    }
    with open(os.path.join(a.out, "training.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print("wrote %s" % os.path.join(a.out, "training.json"), flush=True)


if __name__ == "__main__":
    main()
