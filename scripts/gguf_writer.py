"""A small GGUF (version 3) writer and reader, numpy only.

Layout (llama.cpp docs/gguf.md), all little-endian:
  magic "GGUF", uint32 version = 3, uint64 tensor_count, uint64 metadata_kv_count,
  metadata_kv_count x (string key, uint32 value_type, value),
  tensor_count x (string name, uint32 n_dims, uint64 ne[n_dims], uint32 ggml_type, uint64 offset),
  padding to general.alignment (32 unless the metadata says otherwise), then the tensor data,
  each tensor starting at its offset (relative to the data start, a multiple of the alignment).
A string is uint64 length + UTF-8 bytes (no terminator). An array is uint32 element type,
uint64 count, then the elements. ne[0] is the fastest-varying dimension, so a numpy array of shape
(rows, cols) is written with ne = [cols, rows] and its bytes as they are (C order).

Tensor types written: F32 (0), F16 (1) and Q8_0 (8): blocks of 32 values along ne[0], each
block an fp16 scale d = max|x| / 127 followed by 32 int8 q = round(x / d) (half away from zero),
34 bytes per block, as ggml's quantize_row_q8_0_ref.
"""
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
DEFAULT_ALIGNMENT = 32

# metadata value types
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i",
           FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d"}

# ggml tensor types
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
GGML_TYPES = {"f32": GGML_F32, "f16": GGML_F16, "q8_0": GGML_Q8_0}
QK8_0 = 32
_Q8_0_BLOCK = np.dtype([("d", "<f2"), ("qs", "i1", (QK8_0,))])


def quantize_q8_0(x):
    """float array whose last dimension is a multiple of 32 -> bytes of Q8_0 blocks."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.shape[-1] % QK8_0:
        raise ValueError("Q8_0 needs the row length (%d) to be a multiple of %d" % (x.shape[-1], QK8_0))
    blocks = x.reshape(-1, QK8_0)
    amax = np.abs(blocks).max(axis=1)
    d = (amax / np.float32(127)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d > 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = blocks * inv[:, None]
    q = np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))     # roundf: half away from zero
    out = np.empty(blocks.shape[0], dtype=_Q8_0_BLOCK)
    out["d"] = d.astype(np.float16)
    out["qs"] = np.clip(q, -127, 127).astype(np.int8)
    return out.tobytes()


def dequantize_q8_0(raw, shape):
    b = np.frombuffer(raw, dtype=_Q8_0_BLOCK)
    return (b["d"].astype(np.float32)[:, None] * b["qs"].astype(np.float32)).reshape(shape)


def _string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(vtype, v, etype=None):
    if vtype == STRING:
        return _string(v)
    if vtype == ARRAY:
        if etype == ARRAY:
            raise ValueError("nested arrays are not written by this writer")
        if etype == STRING:
            return struct.pack("<IQ", STRING, len(v)) + b"".join(_string(s) for s in v)
        arr = np.asarray(v, dtype=np.dtype(_SCALAR[etype]))
        return struct.pack("<IQ", etype, len(arr)) + arr.tobytes()
    return struct.pack(_SCALAR[vtype], v)


class GGUFWriter:
    def __init__(self, alignment=DEFAULT_ALIGNMENT):
        self.alignment = alignment
        self.kv = []          # (key, type, value, element type)
        self.tensors = []     # (name, ne, ggml type, bytes)
        if alignment != DEFAULT_ALIGNMENT:
            self.add_uint32("general.alignment", alignment)

    # metadata
    def add(self, key, vtype, value, etype=None):
        if any(k == key for k, _, _, _ in self.kv):
            raise ValueError("duplicate metadata key %s" % key)
        self.kv.append((key, vtype, value, etype))

    def add_uint8(self, k, v): self.add(k, UINT8, v)
    def add_int8(self, k, v): self.add(k, INT8, v)
    def add_uint16(self, k, v): self.add(k, UINT16, v)
    def add_int16(self, k, v): self.add(k, INT16, v)
    def add_uint32(self, k, v): self.add(k, UINT32, v)
    def add_int32(self, k, v): self.add(k, INT32, v)
    def add_uint64(self, k, v): self.add(k, UINT64, v)
    def add_int64(self, k, v): self.add(k, INT64, v)
    def add_float32(self, k, v): self.add(k, FLOAT32, v)
    def add_float64(self, k, v): self.add(k, FLOAT64, v)
    def add_bool(self, k, v): self.add(k, BOOL, bool(v))
    def add_string(self, k, v): self.add(k, STRING, v)
    def add_array(self, k, etype, values): self.add(k, ARRAY, list(values), etype)

    # tensors
    def add_tensor(self, name, array, qtype="f32"):
        a = np.asarray(array)
        if a.ndim < 1 or a.ndim > 4:
            raise ValueError("tensor %s: 1 to 4 dimensions" % name)
        if any(n == name for n, _, _, _ in self.tensors):
            raise ValueError("duplicate tensor %s" % name)
        ne = list(reversed(a.shape))
        if qtype == "f32":
            raw = np.ascontiguousarray(a, dtype="<f4").tobytes()
        elif qtype == "f16":
            raw = np.ascontiguousarray(a, dtype="<f2").tobytes()
        elif qtype == "q8_0":
            raw = quantize_q8_0(a)
        else:
            raise ValueError("tensor type %s not written (f32, f16, q8_0)" % qtype)
        self.tensors.append((name, ne, GGML_TYPES[qtype], raw))

    def _pad(self, n):
        return (-n) % self.alignment

    def to_bytes(self):
        head = [GGUF_MAGIC, struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.kv))]
        for key, vtype, value, etype in self.kv:
            head.append(_string(key) + struct.pack("<I", vtype) + _value(vtype, value, etype))
        offset = 0
        for name, ne, gtype, raw in self.tensors:
            head.append(_string(name) + struct.pack("<I", len(ne)) + struct.pack("<%dQ" % len(ne), *ne)
                        + struct.pack("<IQ", gtype, offset))
            offset += len(raw) + self._pad(len(raw))
        out = b"".join(head)
        out += b"\0" * self._pad(len(out))
        parts = [out]
        for _, _, _, raw in self.tensors:
            parts.append(raw + b"\0" * self._pad(len(raw)))
        return b"".join(parts)

    def write(self, path):
        data = self.to_bytes()
        with open(path, "wb") as f:
            f.write(data)
        return len(data)


# ---- byte-level vocabulary -------------------------------------------------------------------

def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character map (what llama.cpp's gpt2 tokenizer expects)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) \
        + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def add_byte_vocab(w, bos_id=256, eos_id=257):
    """Vocabulary of the 256 bytes (token id = byte value) then <s> and </s>, as a gpt2 BPE with no merges."""
    if (bos_id, eos_id) != (256, 257):
        raise ValueError("the byte vocabulary puts <s> at 256 and </s> at 257")
    m = bytes_to_unicode()
    tokens = [m[b] for b in range(256)] + ["<s>", "</s>"]
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "default")
    w.add_array("tokenizer.ggml.tokens", STRING, tokens)
    w.add_array("tokenizer.ggml.token_type", INT32, [1] * 256 + [3, 3])   # 1 normal, 3 control
    w.add_array("tokenizer.ggml.merges", STRING, [])
    w.add_uint32("tokenizer.ggml.bos_token_id", bos_id)
    w.add_uint32("tokenizer.ggml.eos_token_id", eos_id)
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_bool("tokenizer.ggml.add_eos_token", False)
    return len(tokens)


# ---- reader (for tests and checks) ---------------------------------------------------------------

def read_gguf(path):
    """-> (metadata dict, {name: (ne, ggml type, numpy float32 array in numpy shape)})."""
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:4] != GGUF_MAGIC:
        raise ValueError("not a GGUF file")
    version, nt, nkv = struct.unpack_from("<IQQ", buf, 4)
    if version != 3:
        raise ValueError("GGUF version %d, expected 3" % version)
    pos = 24

    def rd(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, buf, pos)
        pos += struct.calcsize(fmt)
        return v[0]

    def rstr():
        nonlocal pos
        n = rd("<Q")
        s = buf[pos:pos + n].decode("utf-8")
        pos += n
        return s

    def rval(t):
        if t == STRING:
            return rstr()
        if t == ARRAY:
            et, n = rd("<I"), rd("<Q")
            return [rval(et) for _ in range(n)]
        return rd(_SCALAR[t])

    meta = {}
    for _ in range(nkv):
        k = rstr()
        meta[k] = rval(rd("<I"))
    infos = []
    for _ in range(nt):
        name = rstr()
        nd = rd("<I")
        ne = [rd("<Q") for _ in range(nd)]
        infos.append((name, ne, rd("<I"), rd("<Q")))
    align = meta.get("general.alignment", DEFAULT_ALIGNMENT)
    start = pos + (-pos) % align
    tensors = {}
    for name, ne, t, off in infos:
        shape = tuple(reversed(ne))
        n = int(np.prod(ne))
        o = start + off
        if off % align:
            raise ValueError("tensor %s misaligned" % name)
        if t == GGML_F32:
            a = np.frombuffer(buf, "<f4", n, o).reshape(shape)
        elif t == GGML_F16:
            a = np.frombuffer(buf, "<f2", n, o).astype(np.float32).reshape(shape)
        elif t == GGML_Q8_0:
            a = dequantize_q8_0(buf[o:o + n // QK8_0 * _Q8_0_BLOCK.itemsize], shape)
        else:
            raise ValueError("tensor %s: type %d not read" % (name, t))
        tensors[name] = (ne, t, a)
    return meta, tensors


def _selftest():
    """Round trip through write and read: every metadata type, the three tensor types, alignment."""
    import os
    import tempfile
    rng = np.random.default_rng(0)
    w = GGUFWriter()
    vals = {"t.u8": (UINT8, 200), "t.i8": (INT8, -100), "t.u16": (UINT16, 60000), "t.i16": (INT16, -30000),
            "t.u32": (UINT32, 4000000000), "t.i32": (INT32, -2000000000), "t.f32": (FLOAT32, 0.5),
            "t.bool": (BOOL, True), "t.str": (STRING, "héllo"), "t.u64": (UINT64, 2 ** 63),
            "t.i64": (INT64, -2 ** 62), "t.f64": (FLOAT64, 1e-300)}
    for k, (t, v) in vals.items():
        w.add(k, t, v)
    w.add_array("t.arr_i32", INT32, [1, -2, 3])
    w.add_array("t.arr_str", STRING, ["a", "", "ü"])
    w.add_array("t.arr_empty", STRING, [])
    a32 = rng.standard_normal((3, 5)).astype(np.float32)
    a16 = rng.standard_normal((7,)).astype(np.float32)
    aq = rng.standard_normal((4, 64)).astype(np.float32)
    aq[0] = 0.0
    w.add_tensor("a32", a32, "f32")
    w.add_tensor("a16", a16, "f16")
    w.add_tensor("aq", aq, "q8_0")
    fd, path = tempfile.mkstemp(suffix=".gguf")
    os.close(fd)
    try:
        w.write(path)
        meta, tensors = read_gguf(path)
    finally:
        os.remove(path)
    for k, (t, v) in vals.items():
        assert meta[k] == (np.float32(v) if t == FLOAT32 else v), k
    assert meta["t.arr_i32"] == [1, -2, 3] and meta["t.arr_str"] == ["a", "", "ü"] and meta["t.arr_empty"] == []
    assert tensors["a32"][0] == [5, 3] and np.array_equal(tensors["a32"][2], a32)
    assert np.array_equal(tensors["a16"][2], a16.astype(np.float16).astype(np.float32))
    err = np.abs(tensors["aq"][2] - aq).max(axis=1)
    assert err[0] == 0 and (err[1:] <= np.abs(aq[1:]).max(axis=1) / 127 * 0.51 + 1e-3).all(), err
    print("gguf_writer self-test ok")


if __name__ == "__main__":
    _selftest()
