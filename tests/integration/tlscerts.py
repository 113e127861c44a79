"""
tlscerts.py -- test certificates made with the openssl command (shared by
test_tls.py and test_node_tls.py).  Everything is generated into a
temporary directory by the tests; nothing is committed.
"""

import subprocess


def openssl(*arguments, cwd):
    subprocess.run(["openssl", *arguments], cwd=cwd, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60)


def make_ca(directory, name):
    """A self-signed CA: `name`.key and `name`.crt."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.crt",
            "-subj", f"/CN=herd test {name}", cwd=directory)


def make_signed(directory, name, ca, extension):
    """A key and a certificate for `name` signed by `ca`; `extension` holds
    the x509v3 lines (subjectAltName, extendedKeyUsage)."""
    (directory / f"{name}.ext").write_text(extension + "\n")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN=herd test {name}", cwd=directory)
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt",
            "-CAkey", f"{ca}.key", "-CAcreateserial", "-days", "2",
            "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=directory)


def make_self_signed(directory, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.crt",
            "-subj", f"/CN=herd test {name}", cwd=directory)
