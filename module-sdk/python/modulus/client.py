"""Call Modulus modules from Python: over TCP or UDP with the standard library alone, and over gRPC
where grpcio is installed (Debian: apt-get install python3-grpcio)::

    import modulus.client

    with modulus.client.connect("tcp://127.0.0.1:7051") as host:
        ids = host.call("text.tokenize", "hello world")          # [31373, 995]
        text = host.call("text.tokenize/decode", ids)            # 'hello world'
        stats = host.call("text.stats", "Some text.", top=3)     # keyword arguments

A failed call raises a :class:`modulus.ModulusError` subclass carrying the status code.

Given a key, every call is signed exactly as the C# client signs it (see :mod:`modulus.signing`)::

    with modulus.client.connect("tcp://127.0.0.1:7051", key="0x4c08...") as host:             # a private key
    with modulus.client.connect(url, key="~/.modulus/keys/alice.json", passphrase="...") as host:  # a keystore

Before its first signed call the client asks the host who it is (the host signs a random challenge with
its key) and signs every call for that host and chain only; ``host=(address, chain_id)`` pins them instead.
"""

import os
import re
import secrets
import socket
import struct
import threading
import time
import urllib.parse

from . import _wire, signing
from .errors import ModulusError, StatusCode, InvalidArgument, NotFound, DeadlineExceeded, \
    PermissionDenied, ResourceExhausted, Unavailable, Internal, Unauthenticated

_ERRORS = {
    StatusCode.INVALID_ARGUMENT: InvalidArgument,
    StatusCode.NOT_FOUND: NotFound,
    StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    StatusCode.PERMISSION_DENIED: PermissionDenied,
    StatusCode.UNAUTHENTICATED: Unauthenticated,
    StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    StatusCode.UNAVAILABLE: Unavailable,
    StatusCode.INTERNAL: Internal,
}

MAX_DATAGRAM = 65_507
# UDP requests are padded to this (as QUIC pads its first datagram): a host answers at most 3 times
# the bytes it receives, so that a spoofed source cannot turn it into an amplifier.
MIN_UDP_REQUEST = 1200


def error(code, message):
    """The exception for a status code."""
    try:
        code = StatusCode(code)
    except ValueError:
        return ModulusError(message, StatusCode.UNKNOWN)
    cls = _ERRORS.get(code)
    return cls(message) if cls else ModulusError(message, code)


def connect(url="grpc://127.0.0.1:7050", timeout=60.0, key=None, passphrase=None, host=None, max_price=None, payer=None, escrow=None):
    """A client for the host at ``url``: grpc://HOST:PORT, tcp://HOST:PORT or udp://HOST:PORT.

    ``key`` signs every call: a private key (32 bytes, or 64 hex digits with or without 0x), a keystore
    file's path (with ``passphrase``), or a :class:`modulus.signing.Signer`. ``host`` pins the host's
    (address, chain id) instead of learning them from the host.

    ``max_price`` (a decimal string of $GPT, e.g. "0.002") makes calls to paid modules carry a voucher
    signed by ``key`` for the cumulative amount paid to the host for the module, this call included; a
    module priced above it is refused before anything is signed. ``payer`` names the payer when ``key``
    is a signer it authorized; ``escrow`` pins the escrow instead of the one the host names.
    """
    return Client(url, timeout, key=key, passphrase=passphrase, host=host, max_price=max_price, payer=payer, escrow=escrow)


def _signer(key, passphrase):
    if key is None or isinstance(key, signing.Signer):
        return key
    if isinstance(key, (bytes, bytearray)):
        return signing.Signer(bytes(key))
    if re.fullmatch(r"(0x)?[0-9a-fA-F]{64}", key.strip()):
        return signing.Signer(key)
    path = os.path.expanduser(key)
    if not os.path.isfile(path):
        raise ValueError(f"key {key!r} is neither a private key (64 hex digits) nor a keystore file")
    if passphrase is None:
        raise ValueError(f"the keystore {key} needs its passphrase (passphrase=...)")
    return signing.Signer.from_keystore(path, passphrase)


class Client:
    def __init__(self, url="grpc://127.0.0.1:7050", timeout=60.0, key=None, passphrase=None, host=None, max_price=None, payer=None, escrow=None):
        parsed = urllib.parse.urlsplit(url if "://" in url else "grpc://" + url)
        if not parsed.hostname or not parsed.port:
            raise ValueError(f"{url!r} is not a host address; use the form tcp://127.0.0.1:7051")
        transports = {"tcp": _TcpTransport, "udp": _UdpTransport, "grpc": _GrpcTransport}
        if parsed.scheme not in transports:
            raise ValueError(f"{url!r} uses the transport {parsed.scheme!r}; use grpc://, tcp:// or udp://")
        self.url = url
        self.timeout = timeout
        self._transport = transports[parsed.scheme](parsed.hostname, parsed.port)
        self._lock = threading.Lock()
        self.signer = _signer(key, passphrase)
        self._host = tuple(host) if host is not None else None
        self._escrow = escrow
        if max_price is not None and self.signer is None:
            raise ValueError("max_price pays with vouchers signed by key=...; give a key")
        self.max_price = signing.parse_gpt(max_price) if max_price is not None else None
        self.payer = payer or (self.signer.address if self.signer else None)
        self.paid = {}  # (host, module) -> wei paid: the amount of the last voucher a host accepted for an answered call
        self._in_flight = {}
        # (host, module) -> wei of calls whose answers were lost: the host may have served them.
        self.uncertain = {}
        self._prices = {}

    @property
    def caller(self):
        """The address calls are signed as, or None when they are not signed."""
        return self.signer.address if self.signer else None

    def host_identity(self):
        """(address, chain id) of the host, proved by its signature over a random challenge; asked once."""
        if self._host is None:
            challenge = os.urandom(48)  # the answer (about 120 bytes) stays within 3x of the request
            answer = self._transport.host_info(self._id(), _wire.encode_host_request(challenge), time.time() + 30)
            address, chain_id, proof, escrow = _wire.decode_host_info(answer, with_escrow=True)
            self._escrow = self._escrow or escrow or None
            try:
                signer = signing.recover_hash(signing.personal_hash(signing.host_digest(challenge, chain_id)), proof)
            except ValueError as ex:
                raise error(StatusCode.UNAUTHENTICATED, f"the host's handshake is not signed: {ex}") from None
            if signer.lower() != address.lower():
                raise error(StatusCode.UNAUTHENTICATED, f"the host names itself {address} but its handshake is signed "
                                                        f"by {signer}; it is not the host it claims to be")
            self._host = (signer, chain_id)
        return self._host

    def sign(self, module, endpoint, args, kwargs, timestamp_ms=None, nonce=None):
        """The Auth message bytes for a call, signed for this client's host (what :meth:`call` attaches)."""
        host, chain_id = self.host_identity()
        payload_hash = signing.keccak256(_wire.encode_payload(args, kwargs))
        timestamp_ms = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        nonce = signing.random_nonce() if nonce is None else nonce
        digest = signing.call_digest(host, chain_id, module, endpoint, payload_hash, timestamp_ms, nonce)
        return _wire.encode_auth(self.signer.address, self.signer.sign_personal(digest), timestamp_ms, nonce,
                                 host, chain_id, payload_hash)

    def call(self, target, *args, **kwargs):
        """Calls MODULE or MODULE/ENDPOINT with positional and keyword arguments; returns the result."""
        return self.call_with(target, args, kwargs)

    def call_with(self, target, args=(), kwargs=None, timeout=None):
        """Like :meth:`call`, with the arguments as a sequence and a dict, and a timeout in seconds."""
        while True:
            _, _, deadline, payment, request = self._request(target, args, kwargs, timeout)
            try:
                outcome, payload = _wire.decode_call_response(self._transport.call(self._id(), request, deadline))
            except BaseException:
                if payment:
                    self._settle(payment, "lost")
                raise
            if payment:
                # A streaming endpoint called for one answer answers with the list of its items.
                self._settle(payment, "refused" if outcome == "error" else "answered", len(payload) if isinstance(payload, list) else 0)
                if outcome == "error" and self._concede(payment, payload):
                    continue
            if outcome == "error":
                raise error(*payload)
            return payload

    def stream(self, target, *args, **kwargs):
        """Calls MODULE or MODULE/ENDPOINT and yields its answer's items as they arrive (a streaming
        endpoint's one by one; any other's result as one item). Over tcp:// or grpc://; udp:// refuses.
        Closing the generator early (``break`` in a ``for``, or ``close()``) stops the module on the host."""
        return self.stream_with(target, args, kwargs)

    def stream_with(self, target, args=(), kwargs=None, timeout=None):
        """Like :meth:`stream`, with the arguments as a sequence and a dict, and a timeout in seconds
        for the whole stream."""
        while True:
            request_id = self._id()
            module, endpoint, deadline, payment, request = self._request(target, args, kwargs, timeout, request_id=request_id, stream=True)
            # "lost" until the host's end or error says: a stream its reader stopped, or one whose
            # connection broke, was charged at least for the items that arrived, perhaps for more.
            # The host's own end or error comes after every item it sent: a stream that delivered
            # something is charged for it, one refused before its first item is not.
            ended, items, retry = "lost", 0, False
            try:
                for outcome, payload in self._transport.stream(request_id, request, deadline, module, endpoint):
                    if outcome == "item":
                        items += 1
                        yield payload
                    elif outcome == "error":
                        # A broken connection or a passed deadline may have left items on the way.
                        broken = payload[0] in (StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED, StatusCode.CANCELLED)
                        ended = "lost" if broken else "answered" if items else "refused"
                        if payment and ended == "refused":
                            self._settle(payment, ended)
                            settled, payment = payment, None
                            if self._concede(settled, payload):
                                retry = True
                                break
                        raise error(*payload)
                    else:
                        ended = "answered"
                        return
                if not retry:
                    raise Unavailable("the stream ended without its end; the host may have gone")
            finally:
                if payment:
                    self._settle(payment, ended, items)

    def _request(self, target, args, kwargs, timeout, request_id=0, stream=False):
        """(module, endpoint, deadline, payment, encoded request) of a call: named, timed, signed and paid."""
        if not target or target.startswith("/"):
            raise InvalidArgument(f"{target!r} names no module; use MODULE or MODULE/ENDPOINT")
        module, _, endpoint = target.partition("/")
        endpoint = endpoint or "forward"
        deadline = time.time() + (self.timeout if timeout is None else timeout)
        kwargs = kwargs or {}
        auth = self.sign(module, endpoint, args, kwargs) if self.signer else None
        payment = self._pay(module, endpoint) if self.max_price is not None else None
        request = _wire.encode_call_request(module, endpoint, args, kwargs, int(deadline * 1000), request_id=request_id,
                                            auth=auth, voucher=payment[2] if payment else None, stream=stream)
        return module, endpoint, deadline, payment, request

    def _pay(self, module, endpoint):
        """(key, hold, voucher bytes, (price, price per 1,000 tokens)) for a call of a paid module, or
        None for a free one. A call holds its price; a metered call (a streaming endpoint with a price
        per 1,000 tokens) holds max_price as its credit, so the host streams as many tokens as that pays for."""
        info = self._prices.get(module)
        if info is None or time.time() - info[1] > 10:
            info = (self.info(module), time.time())
            self._prices[module] = info
        if info[0]["access_mode"] != "paid" or not info[0]["price"]:
            return None
        price = signing.parse_gpt(info[0]["price"])
        if price > self.max_price:
            raise error(StatusCode.FAILED_PRECONDITION, f"{module} costs {info[0]['price']} $GPT per call, above this caller's "
                                                        f"maximum (max_price); nothing was signed or sent")
        streaming = any(e["name"] == endpoint and e["streaming"] for e in info[0]["endpoints"])
        per_1k = signing.parse_gpt(info[0]["price_per_1k_tokens"]) if streaming and info[0]["price_per_1k_tokens"] else 0
        if per_1k and (self.max_price - price) * 1000 < per_1k:
            raise error(StatusCode.FAILED_PRECONDITION, f"{module} costs {info[0]['price']} $GPT per call plus {info[0]['price_per_1k_tokens']} "
                                                        f"per 1,000 tokens, and this caller's maximum (max_price) pays for no token; nothing was signed or sent")
        hold = self.max_price if per_1k else price
        host, chain_id = self.host_identity()
        if not self._escrow:
            raise error(StatusCode.FAILED_PRECONDITION, f"{module} is paid but the host {host} names no escrow; pass escrow=...")
        key = (host.lower(), module)
        with self._lock:
            self._in_flight[key] = self._in_flight.get(key, 0) + hold
            cumulative = self.paid.get(key, 0) + self._in_flight[key]
        digest = signing.voucher_digest(chain_id, self._escrow, self.payer, host, module, cumulative)
        signer = "" if self.signer.address.lower() == self.payer.lower() else self.signer.address
        voucher = _wire.encode_voucher(self.payer, cumulative, self.signer.sign_hash(digest), signer, host, chain_id, self._escrow,
                                       credit=hold if per_1k else None)
        return key, hold, voucher, (price, per_1k)

    @staticmethod
    def _cost(charge, items):
        """What a call that delivered ``items`` items costs (the host's rule, CallCharge in C#): the
        price, plus for a metered call the tokens' price of its items rounded up to the wei."""
        price, per_1k = charge
        return price + (items * per_1k + 999) // 1000 if per_1k else price

    def _settle(self, payment, ended, items=0):
        """A paid call's end: "answered" (a result, or a stream the host ended, after ``items``
        items), "refused" (nothing delivered, nothing charged), or "lost" (the host charged at least
        the ``items`` that arrived, perhaps the rest of the hold)."""
        key, hold, _, charge = payment
        with self._lock:
            self._in_flight[key] -= hold
            if ended == "answered":
                self.paid[key] = self.paid.get(key, 0) + self._cost(charge, items)
            elif ended == "lost":
                certain = self._cost(charge, items) if items else 0
                self.paid[key] = self.paid.get(key, 0) + certain
                self.uncertain[key] = self.uncertain.get(key, 0) + hold - certain

    def _concede(self, payment, failure):
        """The host says the voucher does not cover what it served: it served a call whose answer
        was lost. Count one such call's price as paid (or what is left of a lost stream's credit),
        when there is any, so that the next voucher covers it."""
        key, _, _, (price, _) = payment
        code, message = failure
        if code != StatusCode.PERMISSION_DENIED or "does not cover this call" not in message:
            return False
        with self._lock:
            uncertain = self.uncertain.get(key, 0)
            if uncertain <= 0:
                return False
            conceded = min(uncertain, price)
            self.uncertain[key] = uncertain - conceded
            self.paid[key] = self.paid.get(key, 0) + conceded
            return True

    def list(self):
        """{'modules': [...], 'faults': [...]} as the host serves them."""
        return _wire.decode_list_response(self._transport.list(self._id(), time.time() + 30))

    def info(self, module):
        """One module's description: version, language, endpoints with their parameters."""
        return _wire.decode_module_info(self._transport.info(self._id(), module, time.time() + 30))

    def close(self):
        self._transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _id(self):
        # Random 64-bit ids, never 0: a UDP host keys its replay cache on source, id and content,
        # and an id nobody can guess is one nobody can answer for in advance.
        while True:
            request_id = secrets.randbits(64)
            if request_id:
                return request_id


class _EnvelopeTransport:
    """TCP and UDP carry envelopes: field 2 call, 4 list, 6 info, 9 host requests; 3, 5, 7, 10 their answers, 8 an error."""

    def call(self, request_id, call_request, deadline):
        return self._answer(request_id, 2, call_request, 3, deadline)

    def list(self, request_id, deadline):
        return self._answer(request_id, 4, b"", 5, deadline)

    def info(self, request_id, module, deadline):
        return self._answer(request_id, 6, _wire.encode_info_request(module), 7, deadline)

    def host_info(self, request_id, host_request, deadline):
        return self._answer(request_id, 9, host_request, 10, deadline)

    def stream(self, request_id, call_request, deadline, module, endpoint):
        raise error(StatusCode.FAILED_PRECONDITION, f"{module}/{endpoint}: UDP cannot carry a streamed answer (one datagram per answer); "
                                 "call it over tcp:// or grpc://")

    def _answer(self, request_id, field, payload, answer_field, deadline):
        body_field, body = self._exchange(request_id, lambda pad_to: _wire.encode_envelope(request_id, field, payload, pad_to), deadline)
        if body_field == 8:
            raise error(*_wire.decode_error(body))
        if body_field != answer_field:
            raise Internal(f"the host answered with envelope field {body_field}, not {answer_field}")
        return bytes(body)


class _TcpTransport(_EnvelopeTransport):
    """One persistent connection; one call at a time from this client (calls are serialised by a lock).
    A host that closes the connection with a go-away ran nothing still unanswered on it: the request
    is sent again on a new connection, up to ``_ATTEMPTS`` times in all."""

    _ATTEMPTS = 3

    def __init__(self, host, port):
        self._address = (host, port)
        self._socket = None
        self._lock = threading.Lock()

    def _exchange(self, request_id, encode, deadline):
        envelope = encode(0)
        address = f"tcp://{self._address[0]}:{self._address[1]}"
        with self._lock:
            for _ in range(self._ATTEMPTS):
                try:
                    sock = self._connected(deadline)
                    sock.settimeout(max(deadline - time.time(), 0.001))
                    sock.sendall(struct.pack(">I", len(envelope)) + envelope)
                    while True:
                        (length,) = struct.unpack(">I", self._read(sock, 4))
                        answer_id, body_field, body = _wire.decode_envelope(self._read(sock, length))
                        if body_field == _wire.GO_AWAY:
                            reason = _wire.decode_go_away(body)
                            self.close()
                            break
                        if answer_id == request_id:
                            return body_field, body
                except socket.timeout:
                    self.close()
                    raise DeadlineExceeded(f"no answer from {address} before the deadline")
                except OSError as ex:
                    self.close()
                    raise Unavailable(f"cannot reach {address}: {ex.strerror or ex}; is `modulus serve` running there?")
            raise Unavailable(f"the connection to {address} closed: {reason}; "
                              f"the request was sent {self._ATTEMPTS} times and never run")

    def stream(self, request_id, call_request, deadline, module, endpoint):
        """Yields (outcome, payload) of a streamed answer; holds the connection until the stream ends
        or is closed, and tells the host to stop the call when it is closed early."""
        envelope = _wire.encode_envelope(request_id, 2, call_request)
        address = f"tcp://{self._address[0]}:{self._address[1]}"
        with self._lock:
            ended = False
            attempts = 1
            try:
                sock = self._connected(deadline)
                sock.settimeout(max(deadline - time.time(), 0.001))
                sock.sendall(struct.pack(">I", len(envelope)) + envelope)
                while True:
                    sock.settimeout(max(deadline - time.time(), 0.001))
                    (length,) = struct.unpack(">I", self._read(sock, 4))
                    answer_id, body_field, body = _wire.decode_envelope(self._read(sock, length))
                    if body_field == _wire.GO_AWAY:
                        # Gone before reading the request (a host never goes away with a stream
                        # running, so nothing was yielded): send it again on a new connection.
                        reason = _wire.decode_go_away(body)
                        self.close()
                        if attempts == self._ATTEMPTS:
                            ended = True
                            raise Unavailable(f"the connection to {address} closed: {reason}; "
                                              f"the request was sent {self._ATTEMPTS} times and never run")
                        attempts += 1
                        sock = self._connected(deadline)
                        sock.settimeout(max(deadline - time.time(), 0.001))
                        sock.sendall(struct.pack(">I", len(envelope)) + envelope)
                        continue
                    if answer_id != request_id:
                        continue  # what is left of an earlier stream that was stopped
                    if body_field == 8:
                        ended = True
                        yield "error", _wire.decode_error(body)
                        return
                    outcome, payload = _wire.decode_call_response(bytes(body))
                    ended = outcome != "item"
                    yield outcome, payload
                    if ended:
                        return
            except socket.timeout:
                self.close()
                ended = True
                raise DeadlineExceeded(f"the stream from {address} did not end before the deadline")
            except OSError as ex:
                self.close()
                ended = True
                raise Unavailable(f"cannot reach {address}: {ex.strerror or ex}; is `modulus serve` running there?")
            finally:
                if not ended and self._socket is not None:
                    cancel = _wire.encode_envelope(request_id, 11, b"")
                    try:
                        self._socket.sendall(struct.pack(">I", len(cancel)) + cancel)
                    except OSError:
                        self.close()

    def _connected(self, deadline):
        if self._socket is None:
            self._socket = socket.create_connection(self._address, timeout=max(min(deadline - time.time(), 10), 0.001))
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._socket

    @staticmethod
    def _read(sock, n):
        chunks, remaining = [], n
        while remaining:
            chunk = sock.recv(min(remaining, 1 << 20))
            if not chunk:
                raise ConnectionError("the host closed the connection")
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def close(self):
        if self._socket is not None:
            self._socket.close()
            self._socket = None


class _UdpTransport(_EnvelopeTransport):
    """One datagram each way; resent with the same id, waiting twice as long each time, until answered."""

    def __init__(self, host, port):
        self._address = (host, port)
        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.connect(self._address)
        self._lock = threading.Lock()

    def _exchange(self, request_id, encode, deadline):
        envelope = encode(0)
        if len(envelope) > MAX_DATAGRAM:
            raise ResourceExhausted(f"the request is {len(envelope)} bytes, over UDP's {MAX_DATAGRAM}-byte datagram "
                                    "limit; call over tcp:// or grpc:// instead")
        envelope = encode(MIN_UDP_REQUEST)
        wait = 0.05
        with self._lock:
            while time.time() < deadline:
                try:
                    self._socket.send(envelope)
                    until = min(time.time() + wait, deadline)
                    while time.time() < until:
                        self._socket.settimeout(max(until - time.time(), 0.001))
                        datagram = self._socket.recv(65536)
                        answer_id, body_field, body = _wire.decode_envelope(datagram)
                        if answer_id != request_id:
                            continue
                        pad_to = _wire.envelope_pad_to(datagram)
                        if pad_to and len(envelope) < pad_to <= MAX_DATAGRAM:
                            # The answer is over 3 times this request: the host keeps it for a padded copy.
                            envelope = encode(pad_to)
                            self._socket.send(envelope)
                            continue
                        return body_field, body
                except socket.timeout:
                    pass
                except ConnectionRefusedError:
                    raise Unavailable(f"nothing listens at udp://{self._address[0]}:{self._address[1]}; "
                                      "is `modulus serve` running there with UDP on?")
                wait = min(wait * 2, 1.0)
        raise DeadlineExceeded(f"no answer from udp://{self._address[0]}:{self._address[1]} before the deadline")

    def close(self):
        self._socket.close()


class _GrpcTransport:
    """gRPC through grpcio's generic calls: the messages are encoded by this package, not by protobuf."""

    def __init__(self, host, port):
        try:
            import grpc
        except ImportError as ex:
            raise Unavailable("grpc:// needs grpcio (Debian: apt-get install python3-grpcio); "
                              "tcp:// and udp:// need nothing beyond the standard library") from ex
        self._grpc = grpc
        self._target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._channel = grpc.insecure_channel(self._target)
        self._call = self._channel.unary_unary("/modulus.v1.ModuleService/Call")
        self._list = self._channel.unary_unary("/modulus.v1.ModuleService/ListModules")
        self._info = self._channel.unary_unary("/modulus.v1.ModuleService/GetModuleInfo")
        self._host_info = self._channel.unary_unary("/modulus.v1.ModuleService/GetHostInfo")
        self._stream_call = self._channel.unary_stream("/modulus.v1.ModuleService/StreamCall")

    def call(self, request_id, call_request, deadline):
        return self._invoke(self._call, call_request, deadline)

    def list(self, request_id, deadline):
        return self._invoke(self._list, b"", deadline)

    def info(self, request_id, module, deadline):
        return self._invoke(self._info, _wire.encode_info_request(module), deadline)

    def host_info(self, request_id, host_request, deadline):
        return self._invoke(self._host_info, host_request, deadline)

    def stream(self, request_id, call_request, deadline, module, endpoint):
        """Yields (outcome, payload) of a streamed answer; closing it early cancels the RPC, which stops the module."""
        responses = self._stream_call(call_request, timeout=max(deadline - time.time(), 0.001))
        items = 0
        try:
            for answer in responses:
                items += 1
                yield _wire.decode_call_response(answer)
            yield "end", items
        except self._grpc.RpcError as ex:
            code = ex.code().value[0]
            details = ex.details() or ex.code().name
            if code == StatusCode.UNAVAILABLE:
                details = f"cannot reach grpc://{self._target}: {details}; is `modulus serve` running there?"
            yield "error", (code, details)
        finally:
            responses.cancel()

    def _invoke(self, method, request, deadline):
        try:
            answer = method(request, timeout=max(deadline - time.time(), 0.001))
        except self._grpc.RpcError as ex:
            code = ex.code().value[0]
            details = ex.details() or ex.code().name
            if code == StatusCode.UNAVAILABLE:
                details = f"cannot reach grpc://{self._target}: {details}; is `modulus serve` running there?"
            raise error(code, details) from None
        return answer

    def close(self):
        self._channel.close()
