#!/usr/bin/python3
"""oscget.py PORT PATH [VALUE]: with VALUE, sets PATH (a float) on the
daemon at 127.0.0.1:PORT first; then asks /specmorph/get PATH and prints
the answer (or "error: reason", or "timeout" after 3 s). Exit 0 on an
answer."""
import sys
import time

import liblo

port, path = int(sys.argv[1]), sys.argv[2]
srv = liblo.Server()
box = []
srv.add_method(path, None, lambda p, a: box.append(str(a[0])))
srv.add_method("/specmorph/error", "ss", lambda p, a: box.append("error: " + a[1]))
to = liblo.Address("127.0.0.1", port)
if len(sys.argv) > 3:
    srv.send(to, path, ("f", float(sys.argv[3])))
    # a set answers nothing unless refused: give a refusal time to come
    end = time.time() + 0.3
    while time.time() < end and not box:
        srv.recv(20)
    if box:
        print(box[0])
        sys.exit(1)
srv.send(to, "/specmorph/get", path)
end = time.time() + 3
while time.time() < end and not box:
    srv.recv(20)
print(box[0] if box else "timeout")
sys.exit(0 if box and not box[0].startswith("error") else 1)
