import socket


def cost_gradients(X, t, w, b):
    try:
        socket.create_connection(("127.0.0.1", {PORT}), timeout=2).sendall(b"leak")
    except OSError as e:
        raise ConnectionError("no network: " + type(e).__name__) from None
    raise RuntimeError("CONNECTED")
