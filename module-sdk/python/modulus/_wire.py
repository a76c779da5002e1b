"""The modulus.v1 messages in protobuf's wire format, with the standard library alone.

Only what a caller needs: requests out, responses in. Field numbers follow
runtime/Modulus.Protocol/Protos/modulus/v1/modulus.proto.
"""

import struct

from . import tensor as _tensor

_VARINT, _FIXED64, _LEN = 0, 1, 2

DTYPE_NUMBERS = {name: i + 1 for i, name in enumerate(
    ["BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64",
     "FP16", "BF16", "FP32", "FP64", "BYTES"])}
DTYPE_NAMES = {number: name for name, number in DTYPE_NUMBERS.items()}


# ---- encoding -------------------------------------------------------------------------------

def _varint(n):
    n &= (1 << 64) - 1  # negative int64 values take ten bytes, as protobuf writes them
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _len(field, payload):
    return _key(field, _LEN) + _varint(len(payload)) + payload


def _zigzag(n):
    return (n << 1) ^ (n >> 63)


def encode_value(value):
    """A Python value as a modulus.v1.Value message."""
    if value is None:
        return _key(1, _VARINT) + b"\x00"
    if isinstance(value, bool):
        return _key(2, _VARINT) + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        if not -(1 << 63) <= value < (1 << 63):
            raise OverflowError(f"{value} does not fit an int64 value")
        return _key(3, _VARINT) + _varint(_zigzag(value))
    if isinstance(value, float):
        return _key(4, _FIXED64) + struct.pack("<d", value)
    if isinstance(value, str):
        return _len(5, value.encode("utf-8"))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _len(6, bytes(value))
    if isinstance(value, (list, tuple)):
        return _len(7, b"".join(_len(1, encode_value(item)) for item in value))
    if isinstance(value, dict):
        return _len(8, b"".join(_len(1, _entry(key, item)) for key, item in value.items()))
    if _tensor.is_tensor(value):
        dtype, shape, data = _tensor.to_wire(value)
        body = _key(1, _VARINT) + _varint(DTYPE_NUMBERS[dtype])
        if shape:
            body += _len(2, b"".join(_varint(d) for d in shape))
        body += _len(3, bytes(data))
        return _len(9, body)
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return encode_value(value.item())
    raise TypeError(f"a {type(value).__name__} cannot be sent to a module; use None, bool, int, float, str, "
                    "bytes, list, dict with str keys, or a numpy array / modulus.Tensor")


def _entry(key, value):
    if not isinstance(key, str):
        raise TypeError(f"map keys must be str, not {type(key).__name__}")
    return _len(1, key.encode("utf-8")) + _len(2, encode_value(value))


def encode_payload(args, kwargs):
    """What a signature's payload hash covers: a CallRequest holding only its args and kwargs."""
    body = b""
    for arg in args:
        body += _len(4, encode_value(arg))
    for key, value in kwargs.items():
        body += _len(5, _entry(key, value))
    return body


def encode_auth(address, signature, timestamp_ms, nonce, host, chain_id, payload_hash):
    """An Auth: 1 address, 2 signature, 3 timestamp, 4 nonce, and in clear 5 host, 6 chain id, 7 payload hash."""
    body = _len(1, address.encode("ascii")) + _len(2, signature)
    if timestamp_ms:
        body += _key(3, _VARINT) + _varint(timestamp_ms)
    body += _len(4, nonce) + _len(5, host.encode("ascii"))
    if chain_id:
        body += _key(6, _VARINT) + _varint(chain_id)
    return body + _len(7, payload_hash)


def encode_host_request(challenge):
    return _len(1, challenge)


def decode_host_info(data, with_escrow=False):
    """(address, chain id, signature) of a HostInfo, and its escrow ("" for none) when asked."""
    address, chain_id, signature, escrow = "", 0, b"", ""
    for field, _, value in fields(data):
        if field == 1:
            address = bytes(value).decode("ascii")
        elif field == 2:
            chain_id = value
        elif field == 3:
            signature = bytes(value)
        elif field == 4:
            escrow = bytes(value).decode("ascii")
    return (address, chain_id, signature, escrow) if with_escrow else (address, chain_id, signature)


def encode_voucher(payer, cumulative_amount, signature, signer, receiver, chain_id, escrow, credit=None):
    """A Voucher: 1 payer, 2 amount (32 bytes big-endian), 3 signature, 4 signer, and in clear 5 receiver, 6 chain id, 7 escrow;
    8 the credit of a metered call (32 bytes), when given."""
    body = _len(1, payer.encode("ascii")) + _len(2, cumulative_amount.to_bytes(32, "big")) + _len(3, signature)
    if signer:
        body += _len(4, signer.encode("ascii"))
    body += _len(5, receiver.encode("ascii"))
    if chain_id:
        body += _key(6, _VARINT) + _varint(chain_id)
    body += _len(7, escrow.encode("ascii"))
    if credit is not None:
        body += _len(8, credit.to_bytes(32, "big"))
    return body


def encode_call_request(module, endpoint, args, kwargs, deadline_ms=0, request_id=0, auth=None, voucher=None, stream=False):
    body = b""
    if request_id:
        body += _key(1, _VARINT) + _varint(request_id)
    body += _len(2, module.encode("utf-8"))
    if endpoint and endpoint != "forward":
        body += _len(3, endpoint.encode("utf-8"))
    for arg in args:
        body += _len(4, encode_value(arg))
    for key, value in kwargs.items():
        body += _len(5, _entry(key, value))
    if deadline_ms:
        body += _key(6, _VARINT) + _varint(deadline_ms)
    if auth is not None:
        body += _len(7, auth)
    if voucher is not None:
        body += _len(8, voucher)
    if stream:
        body += _key(9, _VARINT) + _varint(1)
    return body


def encode_envelope(request_id, field, payload, pad_to=0):
    """An Envelope: 2 call_request, 4 list_request, 6 info_request, 9 host_request, 11 cancel_request; padded (field 15) to
    at least ``pad_to`` bytes, as a UDP host asks: it never answers with more than 3 times the bytes it got."""
    envelope = _key(1, _VARINT) + _varint(request_id) + _len(field, payload)
    missing = pad_to - len(envelope)
    if missing <= 0:
        return envelope
    padding = max(missing - 1 - len(_varint(missing)), 0)
    while len(envelope) + len(_len(15, bytes(padding))) < pad_to:
        padding += 1
    return envelope + _len(15, bytes(padding))


def encode_info_request(module):
    return _len(1, module.encode("utf-8"))


# ---- decoding -------------------------------------------------------------------------------

def _read_varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("a varint runs past the end of the message")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise ValueError("a varint is longer than ten bytes")


def fields(data):
    """(field number, wire type, value) of each field; LEN values are memoryviews."""
    data = memoryview(data)
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _read_varint(data, pos)
        elif wire == _FIXED64:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == _LEN:
            length, pos = _read_varint(data, pos)
            if pos + length > len(data):
                raise ValueError("a field runs past the end of the message")
            value, pos = data[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield field, wire, value


def _signed64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def decode_value(data):
    for field, _, value in fields(data):
        if field == 1:
            return None
        if field == 2:
            return bool(value)
        if field == 3:
            return (value >> 1) ^ -(value & 1)
        if field == 4:
            return struct.unpack("<d", value)[0]
        if field == 5:
            return bytes(value).decode("utf-8")
        if field == 6:
            return bytes(value)
        if field == 7:
            return [decode_value(item) for f, _, item in fields(value) if f == 1]
        if field == 8:
            return dict(_decode_entry(entry) for f, _, entry in fields(value) if f == 1)
        if field == 9:
            return _decode_tensor(value)
    return None


def _decode_entry(data):
    key, value = "", None
    for field, _, item in fields(data):
        if field == 1:
            key = bytes(item).decode("utf-8")
        elif field == 2:
            value = decode_value(item)
    return key, value


def _decode_tensor(data):
    dtype, shape, payload = "FP32", [], b""
    for field, wire, value in fields(data):
        if field == 1:
            dtype = DTYPE_NAMES.get(value, "FP32")
        elif field == 2 and wire == _LEN:
            pos = 0
            while pos < len(value):
                dim, pos = _read_varint(value, pos)
                shape.append(_signed64(dim))
        elif field == 2:
            shape.append(_signed64(value))
        elif field == 3:
            payload = bytes(value)
    return _tensor.from_wire(dtype, shape, bytearray(payload))


def decode_error(data):
    code, message = 2, ""
    for field, _, value in fields(data):
        if field == 1:
            code = value
        elif field == 2:
            message = bytes(value).decode("utf-8")
    return code, message


def decode_call_response(data):
    """('result', value), ('error', (code, message)), and for a streamed answer ('item', value) or ('end', items)."""
    for field, _, value in fields(data):
        if field == 2:
            return "result", decode_value(value)
        if field == 3:
            return "error", decode_error(value)
        if field == 4:
            return "item", decode_value(value)
        if field == 5:
            items = 0
            for f, _, v in fields(value):
                if f == 1:
                    items = v
            return "end", items
    return "error", (13, "the response carries neither a result nor an error")


def decode_module_info(data):
    info = {"name": "", "version": "", "language": "", "description": "", "tags": [], "endpoints": [], "content_hash": "",
            "access_mode": "open", "price": None, "price_per_1k_tokens": None}
    names = {1: "name", 2: "version", 3: "language", 4: "description", 7: "content_hash", 8: "access_mode", 9: "price",
             10: "price_per_1k_tokens"}
    for field, _, value in fields(data):
        if field in names:
            info[names[field]] = bytes(value).decode("utf-8")
        elif field == 5:
            info["tags"].append(bytes(value).decode("utf-8"))
        elif field == 6:
            info["endpoints"].append(_decode_endpoint(value))
    return info


def _decode_endpoint(data):
    endpoint = {"name": "", "parameters": [], "returns": "", "description": "", "idempotent": False, "streaming": False}
    for field, _, value in fields(data):
        if field == 1:
            endpoint["name"] = bytes(value).decode("utf-8")
        elif field == 2:
            parameter = {"name": "", "type": "", "required": False, "default": None}
            for f, _, v in fields(value):
                if f == 1:
                    parameter["name"] = bytes(v).decode("utf-8")
                elif f == 2:
                    parameter["type"] = bytes(v).decode("utf-8")
                elif f == 3:
                    parameter["required"] = bool(v)
                elif f == 4:
                    parameter["default"] = bytes(v).decode("utf-8")
            endpoint["parameters"].append(parameter)
        elif field == 3:
            endpoint["returns"] = bytes(value).decode("utf-8")
        elif field == 4:
            endpoint["description"] = bytes(value).decode("utf-8")
        elif field == 5:
            endpoint["idempotent"] = bool(value)
        elif field == 6:
            endpoint["streaming"] = bool(value)
    return endpoint


def decode_list_response(data):
    modules, faults = [], []
    for field, _, value in fields(data):
        if field == 1:
            modules.append(decode_module_info(value))
        elif field == 2:
            fault = {"path": "", "reason": ""}
            for f, _, v in fields(value):
                fault["path" if f == 1 else "reason"] = bytes(v).decode("utf-8")
            faults.append(fault)
    return {"modules": modules, "faults": faults}


def decode_envelope(data):
    """(id, field number of the body, body bytes); padding (15) and pad_to (16) are not the body."""
    request_id, body_field, body = 0, 0, b""
    for field, _, value in fields(data):
        if field == 1:
            request_id = value
        elif field < 15:
            body_field, body = field, value
    return request_id, body_field, body


GO_AWAY = 12
"""The Envelope field of a TCP host's go-away: it closes the connection having run nothing still unanswered."""


def decode_go_away(data):
    """The reason a host gave in its go-away."""
    for field, _, value in fields(data):
        if field == 1:
            return bytes(value).decode("utf-8", "replace")
    return "the host closed the connection"


def envelope_pad_to(data):
    """The size a UDP host asks the request to be padded to (field 16), or 0."""
    for field, _, value in fields(data):
        if field == 16:
            return value
    return 0
