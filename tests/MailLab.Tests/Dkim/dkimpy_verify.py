#!/usr/bin/python3
# Verifies every DKIM-Signature of the message on stdin with Debian's python3-dkim (dkimpy), fetching
# keys from the lab DNS at ADDR PORT (dkimverify itself only asks the system resolver).
# Prints one line per signature: "<index> pass|fail <a=> <d=>"; exit 0 when all pass.
import sys
import dkim
import dns.resolver
import dns.rdatatype

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = [sys.argv[1]]
resolver.port = int(sys.argv[2])


def lab_txt(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    try:
        answer = resolver.resolve(name, dns.rdatatype.TXT, raise_on_no_answer=False, lifetime=timeout)
    except dns.resolver.NXDOMAIN:
        return None
    for rrset in answer.response.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            return b"".join(list(rrset.items)[0].strings)
    return None


message = sys.stdin.buffer.read()
d = dkim.DKIM(message)
count = sum(1 for name, _ in d.headers if name.lower() == b"dkim-signature")
ok = count > 0
for i in range(count):
    try:
        good = d.verify(idx=i, dnsfunc=lab_txt)
    except dkim.DKIMException as e:
        print(f"{i} error {e}")
        good = False
    print(f"{i} {'pass' if good else 'fail'} {d.signature_fields.get(b'a', b'?').decode()} {d.signature_fields.get(b'd', b'?').decode()}")
    ok = ok and good
sys.exit(0 if ok else 1)
