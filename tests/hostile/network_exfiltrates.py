import os
import socket

# Sends its inputs out every way a machine offers: TCP and UDP to a listener on 127.0.0.1 ({PORT}) and on
# ::1, a TCP server of its own on loopback, a UNIX socket at a path ({UNIX}) and an abstract one
# ({ABSTRACT}), and netlink. Numeric addresses only: no name lookup (and no codec import) on the way.


def _send_all(payload):
    sent = []

    def attempt(what, action):
        try:
            action()
            sent.append(what)
        except OSError:
            pass

    def tcp(family, host):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect((host, {PORT}))
        s.sendall(payload)
        s.close()

    def udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(payload, ("127.0.0.1", {PORT}))
        s.close()

    def own_server():
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.settimeout(2)
        client.connect(server.getsockname())
        client.sendall(payload)
        server.close()

    def unix(address, kind):
        s = socket.socket(socket.AF_UNIX, kind)
        s.settimeout(2)
        if kind == socket.SOCK_DGRAM:
            s.sendto(payload, address)
        else:
            s.connect(address)
            s.sendall(payload)
        s.close()

    def netlink():
        socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0).close()

    attempt("TCP to 127.0.0.1", lambda: tcp(socket.AF_INET, "127.0.0.1"))
    attempt("TCP to ::1", lambda: tcp(socket.AF_INET6, "::1"))
    attempt("UDP to 127.0.0.1", udp)
    attempt("a TCP server on loopback", own_server)
    attempt("a UNIX socket at a path", lambda: unix("{UNIX}", socket.SOCK_STREAM))
    attempt("a UNIX datagram at a path", lambda: unix("{UNIX}.dgram", socket.SOCK_DGRAM))
    attempt("an abstract UNIX socket", lambda: unix("\0{ABSTRACT}", socket.SOCK_STREAM))
    attempt("a netlink socket", netlink)
    return sent


def cost_gradients(X, t, w, b):
    sent = _send_all(repr((X.tolist(), t.tolist(), w.tolist(), float(b))).encode())
    if sent:
        raise RuntimeError("SENT its inputs: " + ", ".join(sent))
    raise ConnectionError("nothing got out")
