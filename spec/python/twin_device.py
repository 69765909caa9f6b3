#!/usr/bin/env python3
"""A twin-registry device in Python, from the spec alone: RFC 8785 canonical JSON, keccak256, the EIP-191
signature of a message, the DeviceID, CIDs and Merkle leaves, and publishing over MQTT with paho-mqtt.

Standard library only (plus paho-mqtt for `publish`): keccak256 and secp256k1 (RFC 6979 deterministic ECDSA) are
written out here because Python's standard library has neither. They are a readable REFERENCE for checking an
implementation against the test vectors, not hardened code (not constant-time): on a real device, sign with a vetted
library (libsecp256k1 through coincurve, or eth-account) and use this to check it.

    python3 spec/python/twin_device.py check-vectors [spec/vectors]
    python3 spec/python/twin_device.py sign --key 0x… --message unsigned.json
    python3 spec/python/twin_device.py publish --broker mqtt://127.0.0.1:1883 --key 0x… --message unsigned.json
    python3 spec/python/twin_device.py canonicalize < values.json
"""

import argparse
import base64
import hashlib
import hmac
import json
import math
import os
import sys
import urllib.parse

# ---------------------------------------------------------------------------------------------------------------
# RFC 8785: the JSON Canonicalization Scheme


def _es_number(value):
    """A number as ECMAScript's Number.prototype.toString writes it (RFC 8785 section 3.2.2.3)."""
    if isinstance(value, bool):
        raise TypeError('a boolean is not a number')
    if isinstance(value, int):
        if abs(value) > 2**53:
            value = float(value)  # I-JSON: numbers are IEEE-754 doubles
        else:
            return str(value)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f'canonical JSON cannot hold the number {value}')
    if value == 0:
        return '0'  # -0 too
    sign = '-' if value < 0 else ''
    # repr gives the shortest digits that round-trip, as ECMAScript does; only the layout differs.
    mantissa, _, exponent = repr(abs(value)).partition('e')
    whole, _, fraction = mantissa.partition('.')
    digits = (whole + fraction).lstrip('0').rstrip('0')
    # n: where the decimal point is, counted from the first significant digit (value = 0.digits × 10^n).
    leading_zeros = len(fraction) - len(fraction.lstrip('0')) if whole == '0' else 0
    point = (0 if whole == '0' else len(whole)) - leading_zeros + (int(exponent) if exponent else 0)
    k, n = len(digits), point
    if k <= n <= 21:
        text = digits + '0' * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + '.' + digits[n:]
    elif -6 < n <= 0:
        text = '0.' + '0' * (-n) + digits
    else:
        e = n - 1
        text = digits[0] + ('.' + digits[1:] if k > 1 else '') + 'e' + ('+' if e >= 0 else '-') + str(abs(e))
    return sign + text


def _es_string(text):
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        raise ValueError('canonical JSON cannot hold a lone surrogate') from None
    return json.dumps(text, ensure_ascii=False)


def canonical_json(value):
    """RFC 8785 canonical JSON of a JSON value (as json.loads gives it), as a str; its UTF-8 bytes are the JCS bytes."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, str):
        return _es_string(value)
    if isinstance(value, (int, float)):
        return _es_number(value)
    if isinstance(value, list):
        return '[' + ','.join(canonical_json(item) for item in value) + ']'
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode('utf-16-be', 'surrogatepass'))  # UTF-16 code units
        return '{' + ','.join(_es_string(key) + ':' + canonical_json(value[key]) for key in keys) + '}'
    raise TypeError(f'canonical JSON cannot hold a {type(value).__name__}')


# ---------------------------------------------------------------------------------------------------------------
# keccak256 (Ethereum's: Keccak padding 0x01, not SHA3-256's 0x06)

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
_ROTATION = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_MASK = (1 << 64) - 1


def _rotate(lane, bits):
    return ((lane << bits) | (lane >> (64 - bits))) & _MASK if bits else lane


def _keccak_f(state):
    for round_constant in _RC:
        c = [state[x][0] ^ state[x][1] ^ state[x][2] ^ state[x][3] ^ state[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rotate(c[(x + 1) % 5], 1) for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rotate(state[x][y] ^ d[x], _ROTATION[x][y])
        for x in range(5):
            for y in range(5):
                state[x][y] = b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y])
        state[0][0] ^= round_constant


def keccak256(data):
    rate = 136
    padded = bytearray(data) + b'\x01' + b'\x00' * ((-len(data) - 2) % rate) + b'\x80'
    if len(padded) % rate:  # the two padding bytes fell on one
        raise AssertionError('padding')
    state = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        block = padded[offset:offset + rate]
        for i in range(rate // 8):
            state[i % 5][i // 5] ^= int.from_bytes(block[8 * i:8 * i + 8], 'little')
        _keccak_f(state)
    return b''.join(state[i % 5][i // 5].to_bytes(8, 'little') for i in range(4))


# ---------------------------------------------------------------------------------------------------------------
# secp256k1: deterministic ECDSA (RFC 6979, HMAC-SHA256), low s, recovery id

_P = 2**256 - 2**32 - 977
_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
      0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % _P == 0:
        return None
    if a == b:
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, _P) % _P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, _P) % _P
    x = (slope * slope - a[0] - b[0]) % _P
    return x, (slope * (a[0] - x) - a[1]) % _P


def _multiply(k, point=_G):
    result = None
    while k:
        if k & 1:
            result = _add(result, point)
        point = _add(point, point)
        k >>= 1
    return result


def _rfc6979_k(secret, digest):
    x = secret.to_bytes(32, 'big')
    h = (int.from_bytes(digest, 'big') % _N).to_bytes(32, 'big')
    v, k = b'\x01' * 32, b'\x00' * 32
    k = hmac.new(k, v + b'\x00' + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    k = hmac.new(k, v + b'\x01' + x + h, hashlib.sha256).digest()
    v = hmac.new(k, v, hashlib.sha256).digest()
    while True:
        v = hmac.new(k, v, hashlib.sha256).digest()
        candidate = int.from_bytes(v, 'big')
        if 1 <= candidate < _N:
            return candidate
        k = hmac.new(k, v + b'\x00', hashlib.sha256).digest()
        v = hmac.new(k, v, hashlib.sha256).digest()


def eip191_digest(hash32):
    """The EIP-191 (personal_sign) digest of a 32-byte hash: what the signature signs."""
    return keccak256(b'\x19Ethereum Signed Message:\n32' + hash32)


def sign_hash(hash32, private_key):
    """The signature rule's `sig` of a 32-byte hash: r ‖ s ‖ v, s in the lower half, v 27 or 28 (65 bytes)."""
    secret = int(private_key, 16)
    digest = eip191_digest(hash32)
    z = int.from_bytes(digest, 'big')
    k = _rfc6979_k(secret, digest)
    point = _multiply(k)
    r = point[0] % _N
    s = pow(k, -1, _N) * (z + r * secret) % _N
    recovery = (point[1] & 1) | (2 if point[0] >= _N else 0)
    if s > _N // 2:
        s, recovery = _N - s, recovery ^ 1
    return r.to_bytes(32, 'big') + s.to_bytes(32, 'big') + bytes([27 + recovery])


def address_of(private_key):
    """The EIP-55 address of a private key (0x + 64 hex digits): what a twin records as `deviceSigner`."""
    x, y = _multiply(int(private_key, 16))
    raw = keccak256(x.to_bytes(32, 'big') + y.to_bytes(32, 'big'))[12:].hex()
    checksum = keccak256(raw.encode('ascii')).hex()
    return '0x' + ''.join(char.upper() if int(checksum[i], 16) >= 8 else char for i, char in enumerate(raw))


# ---------------------------------------------------------------------------------------------------------------
# The signature rule, the DeviceID, CIDs, Merkle leaves


def signed_bytes(message):
    """The signed bytes: RFC 8785 canonical JSON (UTF-8) of the message without its top-level `sig`."""
    return canonical_json({key: value for key, value in message.items() if key != 'sig'}).encode('utf-8')


def sign_message(unsigned, private_key):
    """The message with its `sig`: an EIP-191 signature of keccak256 of its signed bytes."""
    return {**unsigned, 'sig': '0x' + sign_hash(keccak256(signed_bytes(unsigned)), private_key).hex()}


def _integer(value):
    """A JSON number that must be an integer (json.loads gives 1E+0 as the float 1.0)."""
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f'{value!r} is not an integer')
    return int(value)


def _word(value):
    return _integer(value).to_bytes(32, 'big')


def _string(text):
    data = text.encode('utf-8')
    return _word(len(data)) + data + b'\x00' * (-len(data) % 32)


def device_id(identity):
    """keccak256 of abi.encode((bytes6 mac, string serial, string manufacturer, string model, string revision,
    uint64 memoryBytes, string osName, string osVersion)): the DeviceID, as TwinRegistry.computeDeviceId does."""
    fields = [bytes.fromhex(identity['macAddress'].replace(':', '')), identity['serialNumber'], identity['manufacturer'],
              identity['hardwareModel'], identity['hardwareRevision'], _integer(identity['memoryBytes']), identity['osName'],
              identity['osVersion']]
    heads, tails = [], b''
    for field in fields:
        if isinstance(field, bytes):
            heads.append(field + b'\x00' * (32 - len(field)))
        elif isinstance(field, int):
            heads.append(_word(field))
        else:
            heads.append(_word(32 * len(fields) + len(tails)))
            tails += _string(field)
    encoded = _word(32) + b''.join(heads) + tails
    return '0x' + keccak256(encoded).hex(), '0x' + encoded.hex()


def raw_cid(data):
    """The CIDv1 (raw codec, sha2-256, base32) of bytes in one IPFS block (at most 256 KiB)."""
    return 'b' + base64.b32encode(b'\x01\x55\x12\x20' + hashlib.sha256(data).digest()).decode().lower().rstrip('=')


def snapshot_leaf(device_id_hex, seq, snapshot_hash_hex):
    """keccak256(keccak256(abi.encode(uint256 deviceId, uint64 seq, bytes32 hash))): the Merkle leaf."""
    encoded = _word(int(device_id_hex, 16)) + _word(seq) + bytes.fromhex(snapshot_hash_hex[2:])
    return '0x' + keccak256(keccak256(encoded)).hex()


# ---------------------------------------------------------------------------------------------------------------
# Commands


def check_vectors(directory):
    """Recomputes every derived value of the test vectors; returns the list of mismatches (empty: all agree)."""
    failures, checks = [], 0

    def expect(name, got, want):
        nonlocal checks
        checks += 1
        if got != want:
            failures.append(f'{name}: got {got!r}, the vector says {want!r}')

    load = lambda name: json.load(open(os.path.join(directory, name + '.json'), encoding='utf-8'))  # noqa: E731
    keys = load('keys')
    expect('keccak256 of nothing', keccak256(b'').hex(), 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
    key = keys['device']['privateKey']
    expect('test key derivation', '0x' + keccak256(b'twin-registry spec test key: device').hex(), key)
    expect('device address', address_of(key), keys['device']['address'])
    for kind in ('static', 'status', 'telemetry', 'snapshot'):
        vector = load(kind)
        message = json.loads(vector['payload'])
        expect(f'{kind} payload', message, vector['message'])
        signed = signed_bytes(message)
        expect(f'{kind} signed bytes', signed.decode('utf-8'), vector['signedBytes'])
        expect(f'{kind} stored bytes', canonical_json(message), vector['storedBytes'])
        expect(f'{kind} hash', '0x' + keccak256(signed).hex(), vector['hash'])
        expect(f'{kind} EIP-191 digest', '0x' + eip191_digest(keccak256(signed)).hex(), vector['eip191Digest'])
        unsigned = {name: value for name, value in message.items() if name != 'sig'}
        expect(f'{kind} signature (RFC 6979)', sign_message(unsigned, key)['sig'], vector['sig'])
        if kind == 'static':
            computed, encoded = device_id(message['body']['identity'])
            expect('DeviceID', computed, vector['identity']['deviceId'])
            expect('identity ABI encoding', encoded, vector['identity']['abiEncoding'])
            document = canonical_json(message['body']).encode('utf-8')
            expect('static hash', '0x' + keccak256(document).hex(), vector['staticDocument']['staticHash'])
            expect('static CID', raw_cid(document), vector['staticDocument']['staticCid'])
        if kind == 'snapshot':
            expect('snapshot CID', raw_cid(canonical_json(message).encode('utf-8')), vector['storedCid'])
            leaf = snapshot_leaf(message['deviceId'], message['seq'], vector['hash'])
            expect('Merkle leaf', leaf, vector['merkle']['leafHash'])
        if kind == 'telemetry':
            batch = '[' + canonical_json(message) + ']'
            expect('telemetry batch CID', raw_cid(batch.encode('utf-8')), vector['telemetryBatch']['cid'])
    for number, text in ((1e21, '1e+21'), (1e-7, '1e-7'), (0.000001, '0.000001'), (-0.0, '0'), (1e16, '10000000000000000'),
                         (333333333.33333329, '333333333.3333333'), (5e-324, '5e-324'), (1.7976931348623157e308,
                         '1.7976931348623157e+308'), (295147905179352830000.0, '295147905179352830000'), (4.5, '4.5'),
                         (-0.0000033333333333333333, '-0.0000033333333333333333'), (2e-3, '0.002'), (1e30, '1e+30')):
        expect(f'number {number!r}', canonical_json(number), text)
    return checks, failures


def _read_json(path):
    with open(path, encoding='utf-8') as file:
        return json.load(file)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    check = commands.add_parser('check-vectors', help='recompute every value of the test vectors')
    check.add_argument('directory', nargs='?', default=os.path.join(os.path.dirname(__file__), '..', 'vectors'))
    sign = commands.add_parser('sign', help='sign an unsigned message (JSON file), print the message to publish')
    publish = commands.add_parser('publish', help='sign an unsigned message and publish it, QoS 1, with paho-mqtt')
    for command in (sign, publish):
        command.add_argument('--key', required=True, help='the device key, 0x + 64 hex digits')
        command.add_argument('--message', required=True, help='the message without sig: {v, kind, deviceId, seq, ts, body}')
    publish.add_argument('--broker', default='mqtt://127.0.0.1:1883')
    commands.add_parser('canonicalize', help='read a JSON array on stdin, print the RFC 8785 form of each item, one per line')
    arguments = parser.parse_args(argv)

    if arguments.command == 'canonicalize':
        for item in json.load(sys.stdin):
            try:
                print(json.dumps(canonical_json(item)))
            except (ValueError, TypeError):
                print('"refused"')
        return 0

    if arguments.command == 'check-vectors':
        checks, failures = check_vectors(arguments.directory)
        for failure in failures:
            print(f'mismatch: {failure}')
        print(f'{checks - len(failures)} values agree with the vectors, {len(failures)} differ')
        return 1 if failures else 0
    message = sign_message(_read_json(arguments.message), arguments.key)
    payload = canonical_json(message)
    if arguments.command == 'sign':
        print(payload)
        return 0
    import paho.mqtt.client as mqtt  # only this command needs it

    url = urllib.parse.urlparse(arguments.broker)
    topic = f"twins/{message['deviceId']}/{message['kind']}"
    client = mqtt.Client(client_id=f"py-{message['deviceId'][2:18]}", clean_session=True)
    client.connect(url.hostname or '127.0.0.1', url.port or 1883)
    client.loop_start()
    info = client.publish(topic, payload.encode('utf-8'), qos=1, retain=message['kind'] in ('static', 'status'))
    info.wait_for_publish(timeout=10)
    published = info.is_published()
    client.loop_stop()
    client.disconnect()
    print(f'{"published" if published else "NOT published"} {topic} seq {message["seq"]} ({len(payload)} bytes)')
    return 0 if published else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
