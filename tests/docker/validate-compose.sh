#!/usr/bin/env bash
# Validates docker-compose.yml (run by .ci/run, counted as one test):
#   1. docker-compose config -q: Debian's docker-compose 1.29 parses it (merge keys, interpolation,
#      depends_on conditions, the Compose Specification schema it ships);
#   2. the resolved file checked with python3-jsonschema against that same Compose Specification schema
#      (compose_spec.json of the docker-compose package; not copied into this repository), with
#      format checks on;
#   3. what 1.29 and Compose v2 both need and the lab relies on: no top-level name: or include:,
#      every published port on 127.0.0.1, every service on the lab network with a fixed address,
#      resolving through the lab DNS, and the sites waiting for the DNS to be healthy; the DNS and
#      each site in the container whose address docker/classroom-lab.sh derives from the lab file.
# Prints PASS or FAIL.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
PY=/usr/bin/python3   # Debian's, with python3-jsonschema and docker-compose's modules
fail() { echo "compose-validate: FAIL: $*"; exit 1; }
command -v docker-compose >/dev/null || fail "docker-compose not found"
SCHEMA=$($PY -c 'import compose.config, os; print(os.path.join(os.path.dirname(compose.config.__file__), "compose_spec.json"))') ||
  fail "the docker-compose Python package has no compose_spec.json"

docker-compose -f docker-compose.yml config -q || fail "docker-compose config -q"
resolved=$(mktemp) && trap 'rm -f "$resolved"' EXIT
docker-compose -f docker-compose.yml config >"$resolved" || fail "docker-compose config"

$PY - docker-compose.yml "$resolved" "$SCHEMA" <<'PYEOF' || fail "see above"
import ipaddress, json, sys
import jsonschema, yaml

source_path, resolved_path, schema_path = sys.argv[1:]
source = yaml.safe_load(open(source_path))
resolved = yaml.safe_load(open(resolved_path))
schema = json.load(open(schema_path))
errors = []
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.draft7_format_checker)
for doc, name in ((source, "docker-compose.yml"), (resolved, "resolved")):
    for e in validator.iter_errors(doc):
        errors.append(f"{name}: schema: {'/'.join(map(str, e.path))}: {e.message}")

for key in ("name", "include"):
    if key in source:
        errors.append(f"top-level '{key}:' is not understood by docker-compose 1.29")
nets = resolved.get("networks", {})
if list(nets) != ["lab"]:
    errors.append(f"networks: expected just 'lab', found {list(nets)}")
subnet = ipaddress.ip_network(nets["lab"]["ipam"]["config"][0]["subnet"])
dns_addr = resolved["services"]["dns"]["networks"]["lab"]["ipv4_address"]
seen = {}
for name, svc in resolved["services"].items():
    addr = (svc.get("networks") or {}).get("lab", {}).get("ipv4_address")
    if addr is None or ipaddress.ip_address(addr) not in subnet:
        errors.append(f"{name}: no fixed address in {subnet}")
    elif addr in seen:
        errors.append(f"{name}: address {addr} is also {seen[addr]}'s")
    else:
        seen[addr] = name
    if svc.get("dns") != [dns_addr]:
        errors.append(f"{name}: dns is {svc.get('dns')}, not the lab DNS [{dns_addr}]")
    for p in svc.get("ports", []):
        host_ip = p.get("host_ip") if isinstance(p, dict) else str(p).split(":")[0]
        if host_ip != "127.0.0.1":
            errors.append(f"{name}: port {p} is not published on 127.0.0.1 only")
    if name != "dns":
        cond = (svc.get("depends_on") or {}).get("dns", {}).get("condition")
        if cond != "service_healthy":
            errors.append(f"{name}: does not wait for the lab DNS to be healthy (depends_on dns: {cond})")
# The image derives the lab's addresses from lab/default-lab.yml by docker/classroom-lab.sh's rule
# (127.0.N.Y -> 10.127.N.Y): each part of the lab must run in the container with that address.
lab = yaml.safe_load(open("lab/default-lab.yml"))
expected = {"dns": lab["dns"]["address"], **{site["name"]: site["address"] for site in lab["sites"]}}
for name, loopback in expected.items():
    want = "10.127." + ".".join(loopback.split(".")[2:])
    got = (resolved["services"].get(name, {}).get("networks") or {}).get("lab", {}).get("ipv4_address")
    if got != want:
        errors.append(f"{name}: the lab puts it at {loopback}, so its container must be {want}, not {got}")
if "healthcheck" not in resolved["services"]["dns"]:
    errors.append("dns: no healthcheck")
# The lab web service runs with the lab DNS (LabRuntime starts it where the DNS runs): same address, port published.
web = lab.get("web") or {}
if web.get("address", lab["dns"]["address"]) != lab["dns"]["address"]:
    errors.append(f"web: at {web.get('address')}, but it runs in the dns container ({lab['dns']['address']})")
if not any(str(p).split(":")[-1].split("/")[0] == "11371" for p in (source["services"]["dns"].get("ports") or [])):
    errors.append("dns: the lab web service's port 11371 is not published")
# The dashboard runs in the dns container, published on loopback, and follows every site's trace from its data volume.
dns_svc = source["services"]["dns"]
if not any(str(p).split(":")[-1].split("/")[0] == "8025" for p in (dns_svc.get("ports") or [])):
    errors.append("dns: the dashboard's port 8025 is not published")
command = dns_svc.get("command") or []
for site in lab["sites"]:
    name = site["name"]
    if f"/lab/{name}" not in [command[i + 1] for i, a in enumerate(command[:-1]) if a == "--follow"]:
        errors.append(f"dns: the dashboard does not --follow /lab/{name}")
    if f"{name}-data:/lab/{name}:ro" not in (dns_svc.get("volumes") or []):
        errors.append(f"dns: {name}-data is not mounted read-only at /lab/{name}")
# The instructor password is kept in the certs volume: no student's container may mount it.
if any(str(v).split(":")[0] == "certs" for v in (source["services"]["workstation"].get("volumes") or [])):
    errors.append("workstation: mounts the certs volume (the lab CA's key and the instructor password)")
for e in errors:
    print("compose-validate:", e)
sys.exit(1 if errors else 0)
PYEOF
echo "compose-validate: PASS ($($PY -c 'import yaml,sys; print(len(yaml.safe_load(open(sys.argv[1]))["services"]))' docker-compose.yml) services)"
