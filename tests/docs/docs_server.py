# SPDX-License-Identifier: LGPL-2.1-or-later
"""vi-local-server for the documentation tests: started on loopback with
some datasets, a throw-away key, stopped at the end of a with block."""

import os
import secrets
import string
import subprocess
import tempfile
import threading


class LocalServer:
    def __init__(self, exe, datasets):
        self.exe = exe
        self.datasets = datasets
        alphabet = string.ascii_letters + string.digits
        self.key = "dtvi_" + "".join(secrets.choice(alphabet) for _ in range(98))
        self.org = "docs-org"
        self.url = None
        self.proc = None
        self.tmp = None

    def env(self, base=None):
        env = dict(os.environ if base is None else base)
        env.update({
            "DATATURE_VI_API_ENDPOINT": self.url,
            "DATATURE_VI_SECRET_KEY": self.key,
            "DATATURE_VI_ORGANIZATION_ID": self.org,
        })
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            env.pop(name, None)
        return env

    def __enter__(self):
        self.tmp = tempfile.TemporaryDirectory()
        args = [self.exe, "--port", "0", "--secret-key", self.key,
                "--organization-id", self.org]
        for name, path in self.datasets.items():
            args += ["--load", "%s=%s" % (name, path)]
        err = open(os.path.join(self.tmp.name, "server.err"), "w+")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err,
                                     text=True)
        # Its first line says where it listens; the rest is drained.
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.__exit__(None, None, None)
            err.seek(0)
            raise RuntimeError("vi-local-server did not start: " + err.read())
        err.close()
        self.url = line[len("listening on "):].strip()
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        return self

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.tmp.cleanup()
        return False
