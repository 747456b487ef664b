#!/usr/bin/env python3
"""What idle connections cost the emulator, and what one keep-alive request costs it.

Usage: python3 bench/idle_connections.py PATH/TO/apify-emulator [CONNECTIONS]

Starts the binary on 127.0.0.1:0, opens CONNECTIONS (default 1000) idle connections and reports
the process's CPU time over 10 s, its RSS and thread count; then closes them and sends 5,000
`GET /v2/users/me` on one kept-alive connection, reporting requests per second and the server's
CPU time per request. Loopback only; the emulator is stopped at the end.
"""
import os
import socket
import subprocess
import sys
import time

binary = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL, text=True)
try:
    url = proc.stdout.readline().strip().split("=", 1)[1]
    token = proc.stdout.readline().strip().split("=", 1)[1]
    host, port = url[len("http://"):].rsplit(":", 1)
    port = int(port)

    def cpu():
        fields = open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb():
        for line in open(f"/proc/{proc.pid}/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024

    time.sleep(0.5)
    base = rss_mb()
    conns = [socket.create_connection((host, port)) for _ in range(n)]
    time.sleep(2)
    c0 = cpu()
    time.sleep(10)
    used = cpu() - c0
    threads = len(os.listdir(f"/proc/{proc.pid}/task"))
    print(f"{n} idle connections: CPU {used:.2f} s over 10 s, RSS {base} -> {rss_mb()} MB, "
          f"threads {threads}")
    for c in conns:
        c.close()
    time.sleep(1)

    s = socket.create_connection((host, port))
    req = (f"GET /v2/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
           ).encode()
    count = 5000
    t0, k0 = time.time(), cpu()
    for _ in range(count):
        s.sendall(req)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        head, body = buf.split(b"\r\n\r\n", 1)
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length"))
        while len(body) < length:
            body += s.recv(65536)
    elapsed = time.time() - t0
    print(f"{count} keep-alive GET /v2/users/me: {count / elapsed:.0f} req/s, "
          f"server CPU {(cpu() - k0) / count * 1e6:.0f} us/request")
finally:
    proc.terminate()
    proc.wait()
