#!/usr/bin/env python3
"""Real traffic of the lab's device namespace (issue 17): one mode per run, until --seconds elapse.

Modes: background (the device's normal life), and the seven abnormal behaviours of seed 000:
traffic-spike, protocol-mix, failed-connections, high-entropy-payload, timing-anomaly, connection-flood, beaconing.
Every packet is real: HTTPS with the system's TLS (openssl s_server on the network namespace), DNS through the
device's resolver (dnsmasq), ping (iputils), TCP and UDP sockets to the lab's sinks. Stdlib only.
"""
import argparse
import os
import random
import socket
import ssl
import subprocess
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument('mode')
parser.add_argument('--seconds', type=float, required=True)
parser.add_argument('--host', default='svc.lab')
parser.add_argument('--server', default='10.99.0.1')
parser.add_argument('--seed', type=int, default=1)
args = parser.parse_args()
rng = random.Random(args.seed)
deadline = time.monotonic() + args.seconds
TLS = ssl.create_default_context()
TLS.check_hostname = False
TLS.verify_mode = ssl.CERT_NONE
TCP_SINK = 9000
UDP_SINK = 9999


def alive():
    return time.monotonic() < deadline


def sleep(seconds):
    time.sleep(max(0.0, min(seconds, deadline - time.monotonic())))


def https_get(path='/'):
    """One HTTPS request on a new connection, the name resolved through DNS each time (no cache on the device)."""
    try:
        address = socket.getaddrinfo(args.host, 443, socket.AF_INET, socket.SOCK_STREAM)[0][4]
        with socket.create_connection(address, timeout=3) as raw:
            with TLS.wrap_socket(raw, server_hostname=args.host) as tls:
                tls.sendall(f'GET {path} HTTP/1.0\r\nHost: {args.host}\r\n\r\n'.encode())
                while tls.recv(4096):
                    pass
    except OSError:
        pass


def udp_send(payload, port=UDP_SINK):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(payload, (args.server, port))


def tcp_sink():
    sock = socket.create_connection((args.server, TCP_SINK), timeout=3)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def background():
    """Poisson HTTPS requests (mean 1/s), a sensor report over UDP every 4–6 s, a ping every ~10 s."""
    def sensor():
        while alive():
            udp_send(b'{"t":%.2f}' % (20 + rng.random()))
            sleep(rng.uniform(4, 6))

    def pinger():
        while alive():
            subprocess.run(['ping', '-c', '1', '-W', '1', args.server], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            sleep(rng.uniform(8, 12))

    for work in (sensor, pinger):
        threading.Thread(target=work, daemon=True).start()
    while alive():
        https_get(rng.choice(['/', '/status', '/config']))
        sleep(rng.expovariate(1.0))


def traffic_spike():
    """A burst of requests: 15 HTTPS requests per second from 3 workers."""
    def worker():
        while alive():
            https_get()
            sleep(0.2)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def protocol_mix():
    """A shifted mix: 60 UDP datagrams per second to the sink and a ping every 50 ms."""
    ping = subprocess.Popen(['ping', '-q', '-i', '0.05', '-w', str(int(args.seconds)), args.server],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        while alive():
            sock.sendto(b'x' * 48, (args.server, UDP_SINK))
            sleep(1 / 60)
    ping.terminate()


def failed_connections():
    """Connections to closed ports (RST) and TLS handshakes to a port that speaks no TLS, 15 per second."""
    while alive():
        port = rng.randint(20000, 30000)
        try:
            socket.create_connection((args.server, port), timeout=1).close()
        except OSError:
            pass
        if rng.random() < 0.3:
            try:
                with socket.create_connection((args.server, TCP_SINK), timeout=1) as raw:
                    raw.settimeout(0.3)
                    TLS.wrap_socket(raw, server_hostname=args.host)
            except (OSError, ssl.SSLError):
                pass
        sleep(1 / 15)


def high_entropy_payload():
    """Random-size random bytes (as encrypted tunnelled data looks) over one TCP connection, 30 writes per second."""
    sock = tcp_sink()
    while alive():
        sock.sendall(os.urandom(rng.randint(1, 1400)))
        sleep(1 / 30)
    sock.close()


def timing_anomaly():
    """Irregular sends: small writes in runs at log-normal gaps (median 80 ms) broken by random pauses of 1.5–4 s
    (one gap in five): a sender whose timing is erratic at every scale."""
    sock = tcp_sink()
    while alive():
        sock.sendall(b'status:ok\n')
        sleep(rng.uniform(1.5, 4.0) if rng.random() < 0.2 else min(1.0, rng.lognormvariate(-2.5, 0.6)))
    sock.close()


def connection_flood():
    """Many simultaneous connections: 250 TCP connections to the sink, opened over ~5 s and held."""
    held = []
    for _ in range(250):
        if not alive():
            break
        try:
            held.append(socket.create_connection((args.server, TCP_SINK), timeout=2))
        except OSError:
            pass
        sleep(0.02)
    while alive():
        sleep(0.5)
    for sock in held:
        sock.close()


def beaconing():
    """A beacon: the same 64-byte message every 200 ms, to the same host and port."""
    sock = tcp_sink()
    message = b'B' * 64
    next_at = time.monotonic()
    while alive():
        sock.sendall(message)
        next_at += 0.2
        sleep(next_at - time.monotonic())
    sock.close()


MODES = {
    'background': background,
    'traffic-spike': traffic_spike,
    'protocol-mix': protocol_mix,
    'failed-connections': failed_connections,
    'high-entropy-payload': high_entropy_payload,
    'timing-anomaly': timing_anomaly,
    'connection-flood': connection_flood,
    'beaconing': beaconing,
}
MODES[args.mode]()
