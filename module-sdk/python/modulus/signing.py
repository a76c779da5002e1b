"""Signed calls from Python with the standard library alone: keccak-256, secp256k1 ECDSA with RFC 6979
deterministic nonces (the same signatures the C# signer makes, byte for byte), and Web3 Secret Storage
keystores (scrypt or pbkdf2, AES-128-CTR) as ``modulus keys`` writes them.

The digest is the one the README's "Signing" section defines (domain ``modulus.v2.call``)::

    keccak256("modulus.v2.call" 0x00 host(20 bytes) chain-id(uint64 BE) module 0x00 endpoint 0x00
              payload-hash(32) timestamp-ms(int64 BE) nonce)

and the signature is the Ethereum personal-message signature of it (low s, v 27 or 28).

This is plain Python arithmetic, not constant-time code: it is meant for a caller's own key on its own
machine, where nobody measures how long a signature takes.
"""

import hashlib
import hmac
import json
import os
import re
import struct

# ---- keccak-256 (the pre-standard padding Ethereum uses, not SHA3-256) ----------------------------

_MASK = (1 << 64) - 1


def _round_constants():
    state, out = 1, []
    for _ in range(24):
        rc = 0
        for j in range(7):
            if state & 1:
                rc |= 1 << ((1 << j) - 1)
            state = ((state << 1) ^ 0x71) & 0xFF if state & 0x80 else state << 1
        out.append(rc)
    return out


_RC = _round_constants()


def _rol(a, n):
    n %= 64
    return ((a << n) | (a >> (64 - n))) & _MASK


def _keccak_f(lanes):
    for rc in _RC:
        c = [lanes[x][0] ^ lanes[x][1] ^ lanes[x][2] ^ lanes[x][3] ^ lanes[x][4] for x in range(5)]
        d = [c[(x + 4) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        lanes = [[lanes[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        x, y = 1, 0
        current = lanes[x][y]
        for t in range(24):
            x, y = y, (2 * x + 3 * y) % 5
            current, lanes[x][y] = lanes[x][y], _rol(current, (t + 1) * (t + 2) // 2)
        for y in range(5):
            row = [lanes[x][y] for x in range(5)]
            for x in range(5):
                lanes[x][y] = row[x] ^ (~row[(x + 1) % 5] & _MASK & row[(x + 2) % 5])
        lanes[0][0] ^= rc
    return lanes


def keccak256(data):
    """keccak-256 of ``data`` (bytes)."""
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 1) % rate)
    padded[-1] |= 0x80
    lanes = [[0] * 5 for _ in range(5)]
    for block in range(0, len(padded), rate):
        for i in range(rate // 8):
            lanes[i % 5][i // 5] ^= int.from_bytes(padded[block + 8 * i:block + 8 * i + 8], "little")
        lanes = _keccak_f(lanes)
    return b"".join(lanes[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


# ---- secp256k1 --------------------------------------------------------------------------------

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0]:
        if (a[1] + b[1]) % P == 0:
            return None
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (slope * slope - a[0] - b[0]) % P
    return x, (slope * (a[0] - x) - a[1]) % P


def _mul(k, point):
    result = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _rfc6979_k(private_key, digest):
    """RFC 6979 section 3.2 with HMAC-SHA256: the k the C# signer (BouncyCastle's HMacDsaKCalculator) picks."""
    x = private_key.to_bytes(32, "big")
    h = (int.from_bytes(digest, "big") % N).to_bytes(32, "big")
    v, k = b"\x01" * 32, b"\x00" * 32
    k = hmac.new(k, v + b"\x00" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b"\x01" + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        candidate = int.from_bytes(v, "big")
        if 1 <= candidate < N:
            yield candidate
        k = hmac.new(k, v + b"\x00", hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def sign_hash(private_key, digest):
    """65 bytes r, s, v over a 32-byte hash: s in the lower half of the order (EIP-2), v 27 or 28."""
    z = int.from_bytes(digest, "big")
    for k in _rfc6979_k(private_key, digest):
        point = _mul(k, G)
        r = point[0] % N
        if r == 0:
            continue
        s = pow(k, -1, N) * (z + r * private_key) % N
        if s == 0:
            continue
        recovery = (point[1] & 1) | (2 if point[0] >= N else 0)
        if s > N // 2:
            s, recovery = N - s, recovery ^ 1
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + recovery])


def recover_hash(digest, signature):
    """The checksummed address that made ``signature`` over ``digest``, checked as strictly as the host does."""
    if len(signature) != 65:
        raise ValueError(f"the signature is {len(signature)} bytes; a secp256k1 signature is 65 (r, s, v)")
    r, s, v = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big"), signature[64]
    if v not in (27, 28):
        raise ValueError(f"the signature's v is {v}; it must be 27 or 28")
    if not (0 < r < N and 0 < s <= N // 2):
        raise ValueError("the signature's r or s is out of range (s must be in the lower half of the order)")
    y2 = (pow(r, 3, P) + 7) % P
    y = pow(y2, (P + 1) // 4, P)
    if y * y % P != y2:
        raise ValueError("the signature recovers no key")
    if y & 1 != v - 27:
        y = P - y
    z = int.from_bytes(digest, "big")
    r_inverse = pow(r, -1, N)
    key = _add(_mul(s * r_inverse % N, (r, y)), _mul((-z * r_inverse) % N, G))
    if key is None:
        raise ValueError("the signature recovers no key")
    return _address(key)


def _address(point):
    return checksum_address(keccak256(point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big"))[12:])


def checksum_address(raw):
    """EIP-55 mixed-case hex of 20 address bytes."""
    hex_digits = raw.hex()
    hashed = keccak256(hex_digits.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(hashed[i], 16) >= 8 else c for i, c in enumerate(hex_digits))


def personal_hash(message):
    """What an Ethereum wallet signs for ``message``: keccak256("\\x19Ethereum Signed Message:\\n" len message)."""
    return keccak256(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode("ascii") + message)


# ---- the signed digests -----------------------------------------------------------------------

CALL_DOMAIN = b"modulus.v2.call"
HOST_DOMAIN = b"modulus.v2.host"


def call_digest(host, chain_id, module, endpoint, payload_hash, timestamp_ms, nonce):
    """The 32 bytes a call's signature covers (see the module's docstring for the layout)."""
    if "\x00" in module or "\x00" in (endpoint or ""):
        raise ValueError("a module or endpoint name cannot hold a 0 character")
    return keccak256(CALL_DOMAIN + b"\x00" + address_bytes(host) + struct.pack(">Q", chain_id)
                     + module.encode("utf-8") + b"\x00" + (endpoint or "forward").encode("utf-8") + b"\x00"
                     + payload_hash + struct.pack(">q", timestamp_ms) + nonce)


def host_digest(challenge, chain_id):
    """What a host signs in the handshake: keccak256("modulus.v2.host" 0x00 challenge chain-id(uint64 BE))."""
    return keccak256(HOST_DOMAIN + b"\x00" + challenge + struct.pack(">Q", chain_id))


VOUCHER_TYPE = b"Voucher(address payer,address receiver,string module,uint256 cumulativeAmount)"
_DOMAIN_TYPE = b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"


def voucher_digest(chain_id, escrow, payer, receiver, module, cumulative_amount):
    """The EIP-712 digest of a CallEscrow voucher (what a paid call's payer signs, without a personal prefix)."""
    if not 0 <= cumulative_amount < 2**256:
        raise ValueError("a voucher's amount is a uint256")
    domain = keccak256(keccak256(_DOMAIN_TYPE) + keccak256(b"Modulus CallEscrow") + keccak256(b"1")
                       + chain_id.to_bytes(32, "big") + bytes(12) + address_bytes(escrow))
    struct_hash = keccak256(keccak256(VOUCHER_TYPE) + bytes(12) + address_bytes(payer) + bytes(12) + address_bytes(receiver)
                            + keccak256(module.encode("utf-8")) + cumulative_amount.to_bytes(32, "big"))
    return keccak256(b"\x19\x01" + domain + struct_hash)


def parse_gpt(text):
    """A decimal amount of $GPT ("0.001") in wei, exactly (no floating point)."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]+(\.[0-9]{0,18})?|\.[0-9]{1,18}", text.strip()):
        raise ValueError(f"{text!r} is not an amount of $GPT; write digits with at most one point and 18 decimals, e.g. '0.001'")
    whole, _, fraction = text.strip().partition(".")
    return int(whole or "0") * 10**18 + int((fraction or "0").ljust(18, "0"))


def address_bytes(address):
    if not (isinstance(address, str) and len(address) == 42 and address[:2].lower() == "0x"):
        raise ValueError(f"{address!r} is not an address; an address is 0x and 40 hex digits")
    return bytes.fromhex(address[2:])


# ---- keys -------------------------------------------------------------------------------------

class Signer:
    """A secp256k1 key that signs calls: ``Signer(private_key)`` (32 bytes or hex) or ``Signer.from_keystore``."""

    def __init__(self, private_key):
        if isinstance(private_key, str):
            text = private_key.strip()
            private_key = bytes.fromhex(text[2:] if text[:2].lower() == "0x" else text)
        if len(private_key) != 32:
            raise ValueError(f"a secp256k1 private key is 32 bytes, not {len(private_key)}")
        self._key = int.from_bytes(private_key, "big")
        if not 0 < self._key < N:
            raise ValueError("not a secp256k1 private key (0, or not below the curve order)")
        self.address = _address(_mul(self._key, G))

    @classmethod
    def from_keystore(cls, path, passphrase):
        """A key from a Web3 Secret Storage file (as ``modulus keys`` and wallets write them)."""
        with open(path, encoding="utf-8") as f:
            return cls(decrypt_keystore(json.load(f), passphrase))

    def sign_personal(self, digest):
        """The personal-message signature of a 32-byte digest, as ``personal_sign`` makes it."""
        return sign_hash(self._key, personal_hash(digest))

    def sign_hash(self, digest):
        """The signature of a 32-byte hash as it is: an EIP-712 signature, as a voucher takes it."""
        return sign_hash(self._key, digest)

    def __repr__(self):
        return f"Signer({self.address})"


def decrypt_keystore(keystore, passphrase):
    """The private key in a Web3 Secret Storage v3 keystore (a dict); ValueError for a wrong passphrase."""
    crypto = keystore.get("crypto") or keystore.get("Crypto")
    if keystore.get("version") != 3 or crypto is None:
        raise ValueError("not a version 3 Web3 Secret Storage keystore")
    params = crypto["kdfparams"]
    password = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    salt = bytes.fromhex(params["salt"])
    if crypto["kdf"] == "scrypt":
        n, r, p = params["n"], params["r"], params["p"]
        if n >= 1 << (16 * r):
            raise ValueError(f"the keystore's scrypt parameters (n={n}, r={r}, p={p}) break scrypt's bound n < 2^(16 r), "
                             "which OpenSSL enforces; import it again with `modulus keys import NAME --keystore FILE` "
                             "(which writes n=2^17, r=8, p=1), or pass the private key")
        derived = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=params["dklen"], maxmem=129 * r * (n + p + 2) + (1 << 20))
    elif crypto["kdf"] == "pbkdf2":
        if params.get("prf", "hmac-sha256") != "hmac-sha256":
            raise ValueError(f"the keystore's pbkdf2 uses {params['prf']}; only hmac-sha256 is supported")
        derived = hashlib.pbkdf2_hmac("sha256", password, salt, params["c"], params["dklen"])
    else:
        raise ValueError(f"the keystore's key derivation is {crypto['kdf']!r}; scrypt and pbkdf2 are supported")
    ciphertext = bytes.fromhex(crypto["ciphertext"])
    if not hmac.compare_digest(keccak256(derived[16:32] + ciphertext).hex(), crypto["mac"].lower()):
        raise ValueError("wrong passphrase for this keystore (its MAC does not match)")
    if crypto["cipher"] != "aes-128-ctr":
        raise ValueError(f"the keystore's cipher is {crypto['cipher']!r}; aes-128-ctr is supported")
    return aes128_ctr(derived[:16], bytes.fromhex(crypto["cipherparams"]["iv"]), ciphertext)


# ---- AES-128 (encryption only: CTR mode needs no more) -----------------------------------------

def _sbox():
    box, p, q = [0] * 256, 1, 1
    while True:
        p = (p ^ (p << 1) ^ (0x1B if p & 0x80 else 0)) & 0xFF
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        rotl = lambda v, n: ((v << n) | (v >> (8 - n))) & 0xFF  # noqa: E731
        box[p] = q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63
        if p == 1:
            break
    box[0] = 0x63
    return box


_SBOX = _sbox()


def _xtime(a):
    return ((a << 1) ^ 0x1B) & 0xFF if a & 0x80 else a << 1


def _expand_key(key):
    words = [list(key[i:i + 4]) for i in range(0, 16, 4)]
    rcon = 1
    for i in range(4, 44):
        word = list(words[i - 1])
        if i % 4 == 0:
            word = [_SBOX[b] for b in word[1:] + word[:1]]
            word[0] ^= rcon
            rcon = _xtime(rcon)
        words.append([a ^ b for a, b in zip(words[i - 4], word)])
    return [sum(words[4 * r:4 * r + 4], []) for r in range(11)]


def aes128_encrypt_block(round_keys, block):
    state = [b ^ k for b, k in zip(block, round_keys[0])]
    for rnd in range(1, 11):
        state = [_SBOX[b] for b in state]
        state = [state[(r + 4 * ((c + r) % 4))] for c in range(4) for r in range(4)]
        if rnd != 10:
            mixed = []
            for c in range(4):
                a = state[4 * c:4 * c + 4]
                t = a[0] ^ a[1] ^ a[2] ^ a[3]
                mixed += [a[i] ^ t ^ _xtime(a[i] ^ a[(i + 1) % 4]) for i in range(4)]
            state = mixed
        state = [b ^ k for b, k in zip(state, round_keys[rnd])]
    return bytes(state)


def aes128_ctr(key, iv, data):
    round_keys = _expand_key(key)
    counter = int.from_bytes(iv, "big")
    out = bytearray()
    for i in range(0, len(data), 16):
        stream = aes128_encrypt_block(round_keys, ((counter + i // 16) % (1 << 128)).to_bytes(16, "big"))
        out += bytes(a ^ b for a, b in zip(data[i:i + 16], stream))
    return bytes(out)


def random_nonce():
    return os.urandom(16)
